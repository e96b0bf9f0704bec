//! A lean subscriber connection: our own RESP2 reader for the Pub/Sub
//! stream, instead of redis-rs's `PubSub`. Two reasons. Speed: a flood of
//! `PUBLISH` arrives faster than redis-rs's general parser takes it apart
//! (a quarter of tail's CPU went there), and Redis cuts a subscriber that
//! falls 32 MB behind. And control: redis-rs has no `SSUBSCRIBE`, and takes
//! an unsolicited `sunsubscribe` (after a slot moves) for a command's reply;
//! here every frame reaches the caller as it came.
//!
//! It speaks only what a subscriber needs: connect (TCP, TLS, unix socket)
//! and AUTH as the URL says, send commands, and read frames ([`super::resp`]);
//! [`super::node`] connects it. Each read
//! takes whatever the socket holds, and frames are cut out of that buffer
//! without a copy until the caller asks for owned bytes.

use std::time::{Duration, Instant};

use redis::ConnectionAddr;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadHalf, WriteHalf};

pub use super::resp::Frame;
use super::resp::{encode, parse, Parsed};
use crate::duration::show_duration;

/// Anything a connection can run over.
trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// The receiving half of a connection.
pub struct FrameReader {
    half: ReadHalf<Box<dyn Io>>,
    buf: Vec<u8>,
    /// `buf[start..end]` is read and not yet parsed.
    start: usize,
    end: usize,
    /// When the last read returned.
    read_at: jiff::Timestamp,
}

/// The sending half of a connection.
pub struct Writer {
    half: WriteHalf<Box<dyn Io>>,
    out: Vec<u8>,
}

/// What one read asks the socket for, at least.
const READ_SIZE: usize = 256 * 1024;
/// Room a read gets at least.
const MIN_FREE: usize = 16 * 1024;

/// Connect to `client`'s server and authenticate as its URL says (the
/// caller bounds the time: [`super::node::Node::subscriber`]). Errors name
/// what failed.
pub async fn open(client: &redis::Client) -> Result<(FrameReader, Writer), String> {
    let info = client.get_connection_info();
    let io: Box<dyn Io> = match info.addr() {
        ConnectionAddr::Tcp(host, port) => Box::new(tcp(host, *port).await?),
        ConnectionAddr::TcpTls {
            host,
            port,
            insecure,
            ..
        } => {
            let mut builder = native_tls::TlsConnector::builder();
            if *insecure {
                builder
                    .danger_accept_invalid_certs(true)
                    .danger_accept_invalid_hostnames(true)
                    .use_sni(false);
            }
            let tls = builder.build().map_err(|e| format!("TLS: {e}"))?;
            let tls = tokio_native_tls::TlsConnector::from(tls);
            let stream = tls
                .connect(host, tcp(host, *port).await?)
                .await
                .map_err(|e| format!("TLS handshake: {e}"))?;
            Box::new(stream)
        }
        #[cfg(unix)]
        ConnectionAddr::Unix(path) => Box::new(
            tokio::net::UnixStream::connect(path)
                .await
                .map_err(|e| format!("{}: {e}", path.display()))?,
        ),
        other => return Err(format!("unsupported address {other}")),
    };
    let (half, write) = tokio::io::split(io);
    let mut reader = FrameReader {
        half,
        buf: vec![0; READ_SIZE],
        start: 0,
        end: 0,
        read_at: jiff::Timestamp::now(),
    };
    let mut writer = Writer {
        half: write,
        out: Vec::new(),
    };
    let settings = info.redis_settings();
    if let Some(password) = settings.password() {
        let mut auth: Vec<&[u8]> = vec![b"AUTH"];
        if let Some(user) = settings.username() {
            auth.push(user.as_bytes());
        }
        auth.push(password.as_bytes());
        writer.send(&auth).await?;
        match reader.next().await? {
            Some(Frame::Error(e)) => {
                return Err(super::url::reworded(format!("authentication failed: {e}")))
            }
            Some(_) => {}
            None => return Err("the server closed the connection".to_string()),
        }
    }
    Ok((reader, writer))
}

async fn tcp(host: &str, port: u16) -> Result<tokio::net::TcpStream, String> {
    let stream = tokio::net::TcpStream::connect((host, port))
        .await
        .map_err(|e| format!("{host}:{port}: {e}"))?;
    // Commands are small and rare; waiting to batch them only delays PING.
    let _ = stream.set_nodelay(true);
    Ok(stream)
}

/// A PING goes out on a link quiet for this long …
const KEEPALIVE: Duration = Duration::from_secs(5);
/// … and the link counts as lost when nothing comes back within this.
const PING_TIMEOUT: Duration = Duration::from_secs(3);

/// Whether a link is alive: any frame proves it; a link quiet for
/// [`KEEPALIVE`] is pinged (a subscribed RESP2 connection answers
/// `["pong", ""]`), and one that stays quiet [`PING_TIMEOUT`] after is dead.
pub struct Liveness {
    heard: Instant,
    pinged: Option<Instant>,
}

impl Liveness {
    pub fn new() -> Liveness {
        Liveness {
            heard: Instant::now(),
            pinged: None,
        }
    }

    /// A frame came.
    pub fn heard(&mut self) {
        self.heard = Instant::now();
        self.pinged = None;
    }

    /// Ping the link through `writer` if it is due; `Err` (why) when the
    /// link counts as lost. Call it every second or so.
    pub async fn check(&mut self, writer: &mut Writer) -> Result<(), String> {
        if let Some(at) = self.pinged {
            if at.elapsed() >= PING_TIMEOUT {
                return Err(format!(
                    "no PING answer within {}",
                    show_duration(PING_TIMEOUT)
                ));
            }
        } else if self.heard.elapsed() >= KEEPALIVE {
            match tokio::time::timeout(PING_TIMEOUT, writer.send(&[b"PING"])).await {
                Ok(Ok(())) => self.pinged = Some(Instant::now()),
                Ok(Err(e)) => return Err(e),
                Err(_) => {
                    return Err(format!(
                        "PING could not be sent within {}",
                        show_duration(PING_TIMEOUT)
                    ))
                }
            }
        }
        Ok(())
    }
}

impl Writer {
    /// Send commands already encoded (a pipeline) and flush them.
    pub async fn write(&mut self, commands: &[u8]) -> Result<(), String> {
        self.half
            .write_all(commands)
            .await
            .map_err(|e| e.to_string())?;
        self.half.flush().await.map_err(|e| e.to_string())
    }

    /// Send one command and flush it.
    pub async fn send(&mut self, args: &[&[u8]]) -> Result<(), String> {
        self.out.clear();
        encode(&mut self.out, args);
        self.half
            .write_all(&self.out)
            .await
            .map_err(|e| e.to_string())?;
        self.half.flush().await.map_err(|e| e.to_string())
    }
}

impl FrameReader {
    /// The next frame; `None` when the server closed the connection. A
    /// stream that is not RESP is an error. Cancel-safe: what was read stays
    /// in the buffer for the next call.
    pub async fn next(&mut self) -> Result<Option<Frame>, String> {
        loop {
            if let Some(frame) = self.buffered()? {
                return Ok(Some(frame));
            }
            let n = self
                .half
                .read(&mut self.buf[self.end..])
                .await
                .map_err(|e| e.to_string())?;
            if n == 0 {
                return Ok(None);
            }
            self.end += n;
            self.read_at = jiff::Timestamp::now();
        }
    }

    /// The next frame if it is already read, without waiting; when it is
    /// not, room is made for the read that will complete it.
    pub fn buffered(&mut self) -> Result<Option<Frame>, String> {
        match parse(&self.buf[self.start..self.end])? {
            Parsed::Frame(raw, used) => {
                let frame = raw.frame(&self.buf[self.start..]);
                self.start += used;
                if self.start == self.end {
                    (self.start, self.end) = (0, 0);
                }
                Ok(Some(frame))
            }
            Parsed::Need(more) => {
                self.make_room(more);
                Ok(None)
            }
        }
    }

    /// Take up to `most` integer replies already read (a pipeline of
    /// PUBLISHes answered), without making frames of them: how many. The
    /// first reply of any other kind stops it, for [`FrameReader::next`].
    pub fn integers(&mut self, most: usize) -> usize {
        let (n, used) = super::resp::integer_replies(&self.buf[self.start..self.end], most);
        self.start += used;
        if self.start == self.end {
            (self.start, self.end) = (0, 0);
        }
        n
    }

    /// When the bytes of the frame [`FrameReader::next`] returned last arrived
    /// (a frame is complete only once its last bytes are read).
    pub fn read_at(&self) -> jiff::Timestamp {
        self.read_at
    }

    /// Room after `end` for a read, and for a frame known to need `more`
    /// bytes past what is buffered. Only an unfinished frame is left in
    /// the buffer when this is called, so moving it to the front is cheap.
    fn make_room(&mut self, more: usize) {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            (self.start, self.end) = (0, self.end - self.start);
        }
        let want = self.end + more.max(MIN_FREE);
        if self.buf.len() < want {
            self.buf.resize(want.max(READ_SIZE), 0);
        } else if self.end == 0 && self.buf.len() > 4 * READ_SIZE {
            // A huge message came and went: give the memory back.
            self.buf = vec![0; READ_SIZE];
        }
    }
}
