//! The "Examples" sections at the end of each command's long help (`--help`
//! and the man pages): real invocations, as in the README.

pub(super) const EXAMPLES: &str = "\
Examples:
  # NDJSON (or .csv) to Kafka, then one notification per event to Redis
  dualstream publish events.ndjson

  # Follow the notifications as they happen
  dualstream tail 'events:repo:*'

  # The full events of the last hour, from Kafka
  dualstream replay --from-time 1h --envelope > last-hour.ndjson

  # Brokers, topics, Redis, and one real event through the whole path
  dualstream --profile staging health --probe";

pub(super) const PUBLISH_EXAMPLES: &str = "\
Examples:
  # NDJSON (or .csv) to Kafka, then one notification per event to Redis
  dualstream publish events.ndjson

  # The source id at a dotted path, a constant source type
  cat events.ndjson | dualstream publish --source-id-field repo.name --source-type repo

  # Check a file without connecting to anything
  dualstream publish --dry-run events.csv

  # Keep going past invalid lines, setting them aside; a JSON summary for scripts
  dualstream publish --on-invalid dead-letter=bad.ndjson --summary json events.ndjson

  # Kafka only, creating the topic when it is missing
  dualstream --redis off publish --create-topic --partitions 6 events.ndjson";

pub(super) const TAIL_EXAMPLES: &str = "\
Examples:
  # PSUBSCRIBE for globs, SUBSCRIBE for plain names
  dualstream tail 'events:repo:*'

  # Glob characters taken literally
  dualstream tail --literal 'events:repo:a[1]'

  # JSON lines on a pipe, flushed as they arrive
  dualstream tail 'events:*' | jq .payload.id

  # The last 10 minutes from Kafka first, then live without a gap
  dualstream tail --catch-up 10m 'events:repo:*'

  # Miss nothing: gaps (a Redis restart, a full queue) are read from Kafka
  dualstream tail --fill-gaps 'events:repo:*'

  # One line a notification, by template
  dualstream tail 'events:*' --format '{received_at} {channel} {partition}@{offset} {payload.type}'

  # In CI: exit 124 unless 3 notifications arrive within 30 s
  dualstream tail 'events:repo:*' --count 3 --timeout 30s > seen.ndjson

  # In CI: every event listed in the file, each once, within 30 s (else 124, naming the missing)
  dualstream tail 'events:order:*' --expect expected --expect-once --timeout 30s";

pub(super) const SERVE_EXAMPLES: &str = "\
Examples:
  # Every events:* channel on http://127.0.0.1:8080/events (SSE) and /ws (WebSocket)
  dualstream serve 'events:*'

  # A browser: new EventSource('/events?pattern=events:repo:*&from=10m')
  curl -N 'http://127.0.0.1:8080/events?pattern=events:repo:*&filter=type=push'

  # Resume after the last event seen: exactly what came since, then live
  curl -N -H 'Last-Event-ID: AQ...' http://127.0.0.1:8080/events

  # On every interface, a JWT required (its `channels` claim: the patterns it may read)
  DUALSTREAM_AUTH_SECRET=\"$(cat secret)\" dualstream serve 'events:*' --listen 0.0.0.0:8443 \\
    --auth hs256 --auth-audience dashboard --allow-origin https://app.example.com \\
    --tls-cert cert.pem --tls-key key.pem
  curl -N -H \"Authorization: Bearer $TOKEN\" https://events.example.com:8443/events

  # Open on every interface, without authentication
  dualstream serve 'events:*' --listen 0.0.0.0:8080 --no-auth";

pub(super) const REPLAY_EXAMPLES: &str = "\
Examples:
  # The whole topic, up to the end offsets taken at start
  dualstream replay

  # The last 100 records of each partition
  dualstream replay --from-offset -100

  # Partition, offset, timestamp, key, headers and value of the last 30 minutes
  dualstream replay --from-time 30m --envelope

  # Only new records, until Ctrl-C
  dualstream replay --from-end --follow

  # The newest 20 records of the whole topic, merged by time, oldest first
  dualstream replay --last 20

  # Pushes of repos as CSV, in chosen columns
  dualstream replay --filter type=push,source_type=repo --fields offset,key,value.id > pushes.csv

  # One line a record, by template; since a day (UTC midnight)
  dualstream replay --from-time 2026-12-01 --format '{partition}@{offset} {key} {value.type}'

  # Re-send the notifications a publish could not (it prints this line per partition), gently;
  # by offsets: a window of time misses events with older timestamps
  dualstream replay --to-redis --partition 1 --from-offset 8 --to-offset 16 --rate 500/s

  # Backfill another topic, keeping keys, headers and timestamps
  dualstream replay --from-time 2026-11-24 --filter source_type=repo --to-topic events-repo

  # In CI: the expected events are in Kafka, or exit 124 after 30 s
  dualstream replay --follow --wait 30s --expect expected > /dev/null";

pub(super) const HEALTH_EXAMPLES: &str = "\
Examples:
  # Brokers, every topic's partitions, Redis
  dualstream health

  # And one real event through the whole path, timed
  dualstream --topic events health --probe

  # For scripts and monitors: exit 6 when the group lags by more than 10000
  dualstream health --group indexer --max-lag 10000 --format json";

pub(super) const PROFILE_EXAMPLES: &str = "\
Examples:
  # ~/.config/dualstream/config.toml:
  #   default = \"local\"
  #   [profiles.local]
  #   brokers = \"127.0.0.1:9092\"
  #   [profiles.staging]
  #   brokers = \"kafka-1.staging:9093\"
  #   redis = \"redis://:secret@redis.staging:6380\"
  #   [profiles.staging.kafka]
  #   \"security.protocol\" = \"sasl_ssl\"

  # Every profile, the default marked
  dualstream profile list

  # One profile's settings, secrets masked
  dualstream profile show staging --format json

  # Use a profile for one command (or set DUALSTREAM_PROFILE)
  dualstream --profile staging tail 'events:*'";

pub(super) const COMPLETIONS_EXAMPLES: &str = "\
Examples:
  dualstream completions bash > ~/.local/share/bash-completion/completions/dualstream
  dualstream completions zsh > ~/.zfunc/_dualstream
  dualstream completions fish > ~/.config/fish/completions/dualstream.fish";

pub(super) const MAN_EXAMPLES: &str = "\
Examples:
  dualstream man | man -l -
  dualstream man --out-dir ~/.local/share/man/man1";

pub(super) const TOPIC_EXAMPLES: &str = "\
Examples:
  # 6 partitions; replication factor 3 (or one a broker, if fewer), min.insync.replicas one less
  dualstream topic create orders --partitions 6

  # Every topic with partitions and messages; NDJSON on a pipe
  dualstream topic list
  dualstream topic list | jq -r 'select(.messages == 0) | .topic'

  # Leaders, replicas, in-sync replicas, offsets and configs of one topic
  dualstream topic describe orders
  dualstream topic describe orders --format json | jq '.configs[\"retention.ms\"].value'

  # Delete a topic (asks for --yes)
  dualstream topic delete orders --yes";
