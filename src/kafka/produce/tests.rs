use super::*;

/// One round of acknowledgements of `ms` each, `limited` or not.
fn round(w: &mut AckWindow, now: &mut Instant, ms: u64, limited: bool) -> usize {
    *now += Duration::from_millis(ms);
    w.limited = limited;
    w.ack(ms * 1000, *now);
    while w.acks > 0 {
        w.ack(ms * 1000, *now);
    }
    w.size
}

#[test]
fn the_window_grows_while_acks_are_fast_and_it_holds_sending_back() {
    let mut now = Instant::now();
    let mut w = AckWindow::new(20_000, now);
    assert_eq!(w.size, FIRST_WINDOW);
    // Not what held sending back: no reason to grow.
    assert_eq!(round(&mut w, &mut now, 5, false), FIRST_WINDOW);
    for _ in 0..10 {
        round(&mut w, &mut now, 5, true);
    }
    assert_eq!(w.size, 20_000, "capped by --max-in-flight");
    // Between half the target and the target, it grows slowly.
    let mut w = AckWindow::new(20_000, now);
    assert_eq!(
        round(&mut w, &mut now, 20, true),
        FIRST_WINDOW + FIRST_WINDOW / 8 + 1
    );
}

#[test]
fn the_window_shrinks_in_proportion_when_acks_are_slow() {
    let mut now = Instant::now();
    let mut w = AckWindow::new(20_000, now);
    for _ in 0..10 {
        round(&mut w, &mut now, 1, true);
    }
    assert_eq!(w.size, 20_000);
    // The floor (least latency seen) is 1 ms: the target is TARGET.
    let target = TARGET.as_millis() as u64;
    assert_eq!(
        round(&mut w, &mut now, target * 3 / 2, true),
        20_000 * 2 / 3
    );
    // Never below half in one round, never below the minimum.
    assert_eq!(round(&mut w, &mut now, target * 10, true), 20_000 / 3);
    for _ in 0..20 {
        round(&mut w, &mut now, target * 10, true);
    }
    assert_eq!(w.size, MIN_WINDOW);
}

#[test]
fn a_distant_broker_is_not_starved_chasing_the_target() {
    let mut now = Instant::now();
    let mut w = AckWindow::new(20_000, now);
    // Every acknowledgement takes 80 ms however few are in flight: the
    // target becomes 1.5 × 80 ms, and the window keeps growing, by an
    // eighth a round, to the cap.
    let mut last = w.size;
    for _ in 0..40 {
        let size = round(&mut w, &mut now, 80, true);
        assert!(size > last || size == 20_000, "{size} after {last}");
        last = size;
    }
    assert_eq!(w.size, 20_000);
    // A small window is kept small when the cap is small.
    let w = AckWindow::new(10, now);
    assert_eq!(w.size, 10);
}
