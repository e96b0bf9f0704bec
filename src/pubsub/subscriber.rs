//! The subscribe side: two subscribers behind one [`super::subscribe`],
//! each handing out the same [`super::feed::Feed`].
//!
//! * [`classic`]: SUBSCRIBE and PSUBSCRIBE at one server, or at any node
//!   of a cluster (moving to another when it fails);
//! * [`sharded`] (`--sharded`): SSUBSCRIBE per slot at its owner, routed
//!   by [`super::slots`].

pub mod classic;
pub mod sharded;
