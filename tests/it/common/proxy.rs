//! A TCP proxy in front of a broker that cuts or stalls its connections.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// A TCP proxy in front of a broker that can be switched to swallow
/// everything (a stalled network: connections stay open, nothing arrives).
pub struct Proxy {
    pub port: u16,
    blackhole: Arc<std::sync::atomic::AtomicBool>,
    /// Both ends of every connection, to cut them.
    conns: Arc<Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    /// Listen on `port`, forwarding each connection to `target` on 127.0.0.1.
    pub fn start(port: u16, target: u16) -> Proxy {
        use std::sync::atomic::{AtomicBool, Ordering};
        let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
        let blackhole = Arc::new(AtomicBool::new(false));
        let hole = blackhole.clone();
        let conns = Arc::new(Mutex::new(Vec::new()));
        let open = conns.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else {
                    continue;
                };
                if let (Ok(c), Ok(s)) = (client.try_clone(), server.try_clone()) {
                    open.lock().unwrap().extend([c, s]);
                }
                for (from, to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    let hole = hole.clone();
                    std::thread::spawn(move || pump(from, to, &hole));
                }
            }
        });
        fn pump(mut from: TcpStream, mut to: TcpStream, hole: &AtomicBool) {
            let mut buf = [0u8; 64 * 1024];
            loop {
                match from.read(&mut buf) {
                    Ok(0) | Err(_) => {
                        let _ = to.shutdown(std::net::Shutdown::Both);
                        return;
                    }
                    Ok(n) => {
                        if hole.load(Ordering::SeqCst) {
                            continue;
                        }
                        if to.write_all(&buf[..n]).is_err() {
                            return;
                        }
                    }
                }
            }
        }
        Proxy {
            port,
            blackhole,
            conns,
        }
    }

    /// Cut every open connection (new ones are still accepted).
    pub fn cut(&self) {
        for c in self.conns.lock().unwrap().drain(..) {
            let _ = c.shutdown(std::net::Shutdown::Both);
        }
    }

    pub fn stall(&self, on: bool) {
        self.blackhole
            .store(on, std::sync::atomic::Ordering::SeqCst);
    }
}
