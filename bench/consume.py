"""A plain confluent-kafka consumer for the replay comparison: read a topic
from the start of every partition to the end offsets taken at start, with
assign() (no group), writing each value and a newline to stdout; the count
read goes to stderr at the end."""

import sys

from confluent_kafka import Consumer, TopicPartition


def main(brokers, topic):
    c = Consumer({"bootstrap.servers": brokers, "group.id": "bench-python", "enable.auto.commit": False,
                  "enable.partition.eof": False})
    partitions = c.list_topics(topic, timeout=10).topics[topic].partitions
    ends, assign, read = {}, [], 0
    for p in partitions:
        low, high = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
        if high > low:
            ends[p] = high
            assign.append(TopicPartition(topic, p, low))
    c.assign(assign)
    out = sys.stdout.buffer
    while ends:
        for m in c.consume(num_messages=10000, timeout=1.0):
            if m.error():
                raise SystemExit(str(m.error()))
            read += 1
            out.write(m.value() or b"")
            out.write(b"\n")
            if m.offset() + 1 >= ends.get(m.partition(), 0):
                ends.pop(m.partition(), None)
    out.flush()
    c.close()
    print(read, file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
