//! tail's RESP2 parser on arbitrary bytes: never panics, never claims more
//! bytes than it was given, and reads the same frames whether the bytes
//! arrive at once or cut in two (as two socket reads would).
#![no_main]

use dualstream_fuzz::resp::{parse, Frame, Parsed};
use libfuzzer_sys::fuzz_target;

/// The frames at the front of `data`, and how the parse ended.
fn frames(data: &[u8]) -> (Vec<Frame>, usize, bool) {
    let (mut at, mut got) = (0, Vec::new());
    loop {
        match parse(&data[at..]) {
            Ok(Parsed::Frame(raw, used)) => {
                assert!(used > 0 && used <= data.len() - at, "used {used} of {}", data.len() - at);
                got.push(raw.frame(&data[at..]));
                at += used;
            }
            Ok(Parsed::Need(more)) => {
                assert!(more > 0);
                return (got, at, false);
            }
            Err(_) => return (got, at, true),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let (whole, _, _) = frames(data);
    let cut = data.first().map_or(0, |b| *b as usize * data.len() / 256);
    let (early, _, failed) = frames(&data[..cut]);
    // What a prefix yields, the whole yields too, in order (a prefix may
    // fail where the whole does not only by a frame still being cut).
    if !failed {
        assert_eq!(early[..], whole[..early.len()]);
    }
});
