"""The Python peer for `scripts/bench.sh mock`: what publish does, with
confluent-kafka: parse each NDJSON line, key = source_id, headers id, type,
source_type, acks=all + idempotence, count delivery reports, flush. Prints
the count acknowledged.

  python produce.py FILE TOPIC [key=value ...]   (librdkafka properties)
"""

import json
import sys

from confluent_kafka import Producer


def main():
    path, topic = sys.argv[1], sys.argv[2]
    conf = {"acks": "all", "enable.idempotence": True, "linger.ms": 0,
            "queue.buffering.max.messages": 40000}
    conf.update(dict(kv.split("=", 1) for kv in sys.argv[3:]))
    producer = Producer(conf)
    acked = [0]

    def delivered(err, msg):
        if err is None:
            acked[0] += 1

    with open(path, "rb") as f:
        for n, line in enumerate(f, 1):
            e = json.loads(line)
            headers = [("id", str(e["id"])), ("type", e["type"]), ("source_type", e["source_type"])]
            while True:
                try:
                    producer.produce(topic, value=line.rstrip(b"\n"), key=str(e["source_id"]), headers=headers,
                                     on_delivery=delivered)
                    break
                except BufferError:
                    producer.poll(0.01)
            if n % 1000 == 0:
                producer.poll(0)
    producer.flush(60)
    print(acked[0])


if __name__ == "__main__":
    sys.exit(main())
