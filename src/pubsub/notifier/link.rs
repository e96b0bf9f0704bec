//! One node's pipeline connection, the same for both sides ([`super::classic`]
//! and [`super::sharded`]): connected as [`Node::publisher`] connects (TCP,
//! TLS or a unix socket, AUTH as the URL says; our own RESP2 wire, not
//! redis-rs), a pipeline written from one reused buffer, and its replies
//! read one by one within [`RESPONSE_TIMEOUT`] or the link given up.

use super::super::node::{Node, RESPONSE_TIMEOUT};
use super::super::wire::{Frame, FrameReader, Writer};
use crate::duration::show_duration;

/// A connection pipelines go out on, and the buffer they are written into.
pub struct Outlet {
    reader: FrameReader,
    writer: Writer,
    pub node: Node,
    /// The pipeline being written, reused (shrunk after a huge one).
    out: Vec<u8>,
}

/// The pipeline buffer kept between pipelines, at most.
const KEEP_BUFFER: usize = 4 << 20;

impl Outlet {
    /// Connect to `node` and authenticate (within the connect timeout).
    /// The error is not scrubbed: callers pass it through `Target::clean`.
    pub async fn open(node: Node) -> Result<Outlet, String> {
        let (reader, writer) = node.publisher().await?;
        Ok(Outlet {
            reader,
            writer,
            node,
            out: Vec::new(),
        })
    }

    /// The buffer to write the next pipeline into, empty.
    pub fn pipeline(&mut self) -> &mut Vec<u8> {
        self.out.clear();
        if self.out.capacity() > KEEP_BUFFER {
            self.out.shrink_to(KEEP_BUFFER);
        }
        &mut self.out
    }

    /// Send `wire` (`None`: the pipeline written into [`Outlet::pipeline`])
    /// and read `replies` replies, each handed to `reply` as it comes (error
    /// replies too: the caller counts them one by one). All of it within
    /// [`RESPONSE_TIMEOUT`]. `Err`: why not all came (those that did were
    /// handed on); the link must not be used again, it may still owe
    /// replies.
    pub async fn exchange(
        &mut self,
        wire: Option<&[u8]>,
        replies: usize,
        mut reply: impl FnMut(Frame),
    ) -> Result<(), String> {
        let Outlet {
            reader,
            writer,
            out,
            ..
        } = self;
        let exchange = async {
            writer.write(wire.unwrap_or(out)).await?;
            let mut left = replies;
            while left > 0 {
                // PUBLISH's answers, counted straight off the buffer; any
                // other reply (an error) as a frame of its own.
                let counted = reader.integers(left);
                for _ in 0..counted {
                    reply(Frame::Other);
                }
                left -= counted;
                if left == 0 {
                    break;
                }
                match reader.next().await? {
                    Some(frame) => reply(frame),
                    None => return Err("the server closed the connection".to_string()),
                }
                left -= 1;
            }
            Ok(())
        };
        match tokio::time::timeout(RESPONSE_TIMEOUT, exchange).await {
            Ok(done) => done,
            Err(_) => Err(format!(
                "no reply within {}",
                show_duration(RESPONSE_TIMEOUT)
            )),
        }
    }
}
