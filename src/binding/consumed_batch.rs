//! A consumed batch's bytes and numbers packed in the layout of batch_layout.rs, made on the
//! engine's thread before the batch is handed to JS: the JS thread then only wraps them
//! (`batch_to_js`), without copying a message.

use crate::binding::batch_layout as layout;
use crate::engine::message::MessageBatch;

/// Every key, value and header value of a batch back to back (`data`), and the numbers that
/// find them (`meta` per message, `header_meta` per header, in message order).
pub struct PackedMessages {
    pub data: Vec<u8>,
    pub meta: Vec<f64>,
    pub header_meta: Vec<f64>,
}

impl PackedMessages {
    /// Packs `batch`'s messages, in order.
    pub fn pack(batch: &MessageBatch) -> Self {
        let n = batch.messages.len();
        let mut bytes = 0;
        let mut headers = 0;
        for m in &batch.messages {
            bytes += length(m.key.as_ref()) + length(m.value.as_ref());
            for (_, v) in &m.headers {
                bytes += length(v.as_ref());
            }
            headers += m.headers.len();
        }
        let mut packed = PackedMessages {
            data: Vec::with_capacity(bytes),
            meta: Vec::with_capacity(n * layout::MESSAGE_FIELDS),
            header_meta: Vec::with_capacity(headers * layout::HEADER_FIELDS),
        };
        for m in &batch.messages {
            let (ks, kl) = packed.append(m.key.as_ref());
            let (vs, vl) = packed.append(m.value.as_ref());
            let mut slot = [0.0; layout::MESSAGE_FIELDS];
            slot[layout::OFFSET] = m.offset as f64;
            slot[layout::TIMESTAMP] = m.timestamp.map_or(-1.0, |t| t as f64);
            slot[layout::KEY_START] = ks;
            slot[layout::KEY_LENGTH] = kl;
            slot[layout::VALUE_START] = vs;
            slot[layout::VALUE_LENGTH] = vl;
            slot[layout::HEADER_COUNT] = m.headers.len() as f64;
            packed.meta.extend_from_slice(&slot);
            for (_, value) in &m.headers {
                let (hs, hl) = packed.append(value.as_ref());
                let mut header = [0.0; layout::HEADER_FIELDS];
                header[layout::HEADER_START] = hs;
                header[layout::HEADER_LENGTH] = hl;
                packed.header_meta.extend_from_slice(&header);
            }
        }
        packed
    }

    /// Appends `bytes` to `data`: where they start and how long they are (-1 for none).
    fn append(&mut self, bytes: Option<&Vec<u8>>) -> (f64, f64) {
        let start = self.data.len() as f64;
        match bytes {
            Some(b) => {
                self.data.extend_from_slice(b);
                (start, b.len() as f64)
            }
            None => (start, -1.0),
        }
    }
}

fn length(bytes: Option<&Vec<u8>>) -> usize {
    bytes.map_or(0, Vec::len)
}
