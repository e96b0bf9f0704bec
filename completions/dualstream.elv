
use builtin;
use str;

set edit:completion:arg-completer[dualstream] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'dualstream'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'dualstream'= {
            cand --brokers 'Kafka bootstrap brokers, comma separated'
            cand --topic 'Kafka topic'
            cand -X 'A librdkafka property, like kcat''s -X (repeatable); applied after -F'
            cand -F 'A librdkafka properties file (key=value lines, # comments)'
            cand --redis 'Redis URL (redis://, rediss://, or redis+cluster://host:port,… for a Redis Cluster), or `off` to use Kafka only. A password in it is never printed'
            cand --color 'When to use colours on a terminal (NO_COLOR is honoured by auto)'
            cand --profile 'Take unset options from this profile of the config file [default: the file''s `default`]'
            cand --config 'The config file [default: $XDG_CONFIG_HOME/dualstream/config.toml, else ~/.config/dualstream/config.toml]'
            cand --sharded 'Sharded Pub/Sub (Redis 7+): notify with SPUBLISH and tail with SSUBSCRIBE at each channel''s slot owner, so a Redis Cluster keeps each message in one shard. Channel names only, no globs'
            cand -q 'Print only errors'
            cand --quiet 'Print only errors'
            cand -v 'More detail on stderr: -v for client logs and error causes, -vv for debug'
            cand --verbose 'More detail on stderr: -v for client logs and error causes, -vv for debug'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand publish 'Publish NDJSON or CSV events to Kafka, then notify Redis'
            cand tail 'Follow Redis channels by glob (PSUBSCRIBE) or by name (SUBSCRIBE)'
            cand serve 'Serve live events to browsers and services over Server-Sent Events and WebSocket, resuming from Kafka with no gap and no duplicate'
            cand health 'Check Kafka and Redis: brokers, partitions, lag, Redis state, and an end-to-end probe'
            cand replay 'Read a Kafka topic from an offset or a time, up to the end offsets taken at start'
            cand topic 'Create, list, describe and delete Kafka topics'
            cand profile 'List and show the named profiles of the config file (secrets masked)'
            cand completions 'Print a shell completion script'
            cand man 'Print the man page (roff), or write every page into a directory'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'dualstream;publish'= {
            cand --format 'Input format [default: by extension (.csv is CSV), else NDJSON]'
            cand --id-field 'Field holding the event id (dotted path); absent ids are derived from the content'
            cand --type-field 'Field holding the event type (dotted path)'
            cand --type 'A constant event type for every event, instead of --type-field'
            cand --source-type-field 'Field holding the source type (dotted path)'
            cand --source-type 'A constant source type for every event, instead of --source-type-field'
            cand --source-id-field 'Field holding the source id, the Kafka key (dotted path, e.g. repo.name)'
            cand --source-id 'A constant source id for every event, instead of --source-id-field'
            cand --time-field 'Field holding the event time (RFC 3339 or epoch ms); the Kafka timestamp, else now'
            cand --channel 'Redis channel template; placeholders {source_type} {source_id} {type} {id} {topic}; {{ and }} for literal braces (a Redis Cluster hash tag)'
            cand --on-invalid 'What to do with an invalid line: fail (exit 3), skip, or dead-letter=FILE'
            cand --max-line-bytes 'Longest accepted line (NDJSON) or record (CSV), in bytes'
            cand --summary 'End-of-run summary on stderr [auto: a table on a terminal, nothing on a pipe]'
            cand --timeout 'How long Kafka may take to connect or to acknowledge an event before the run fails (exit 4)'
            cand --max-in-flight 'Most events sent to Kafka and not yet acknowledged; fewer while acknowledgements are slow (the window follows their latency)'
            cand --compression 'Compress record batches (librdkafka''s compression.codec). Tansu 0.6 stores snappy batches but cannot serve them back: use another codec with it'
            cand --redis-batch 'Most notifications in one Redis pipeline'
            cand --partitions 'Partitions for --create-topic [default: 3]; an existing topic with another count is reported'
            cand --replication-factor 'Replication factor for --create-topic [default: 3, or the number of brokers if fewer]'
            cand --min-insync-replicas 'min.insync.replicas for --create-topic [default: replication factor − 1, at least 1]'
            cand --brokers 'Kafka bootstrap brokers, comma separated'
            cand --topic 'Kafka topic'
            cand -X 'A librdkafka property, like kcat''s -X (repeatable); applied after -F'
            cand -F 'A librdkafka properties file (key=value lines, # comments)'
            cand --redis 'Redis URL (redis://, rediss://, or redis+cluster://host:port,… for a Redis Cluster), or `off` to use Kafka only. A password in it is never printed'
            cand --color 'When to use colours on a terminal (NO_COLOR is honoured by auto)'
            cand --profile 'Take unset options from this profile of the config file [default: the file''s `default`]'
            cand --config 'The config file [default: $XDG_CONFIG_HOME/dualstream/config.toml, else ~/.config/dualstream/config.toml]'
            cand --dry-run 'Validate and print what would be sent, without connecting to anything'
            cand --progress 'Show the progress bar even when stderr is not a terminal'
            cand --no-headers 'Send no id/type/source_type headers. Brokers that store each header as a row (Tansu with sqlite) take events about three times faster without them'
            cand --create-topic 'Create the topic through the admin API when it does not exist'
            cand --sharded 'Sharded Pub/Sub (Redis 7+): notify with SPUBLISH and tail with SSUBSCRIBE at each channel''s slot owner, so a Redis Cluster keeps each message in one shard. Channel names only, no globs'
            cand -q 'Print only errors'
            cand --quiet 'Print only errors'
            cand -v 'More detail on stderr: -v for client logs and error causes, -vv for debug'
            cand --verbose 'More detail on stderr: -v for client logs and error causes, -vv for debug'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'dualstream;tail'= {
            cand --format 'Output format [default: pretty on a terminal, json on a pipe]'
            cand --count 'Exit 0 after N messages'
            cand --timeout 'Stop after this long; with --count, exit 124 if fewer than N arrived'
            cand --catch-up 'First print the events of this window from Kafka (--topic), then go on live without a gap or a duplicate at the seam: a duration ago (10m) or a time (RFC 3339, epoch ms)'
            cand --channel 'Channel template of the publisher, to match Kafka events to PATTERNs in --catch-up'
            cand --queue 'Messages held between Redis and the output; past this, messages are dropped and counted'
            cand --filter 'Print (and count for --count) only messages whose field has one of the values: type, source_type, source_id, id, or a dotted path into the notification (with --fetch, into the event)'
            cand --expect 'Wait for the events in FILE (one a line: an id, or a JSON object of field values such as {"type":"order.created","source_id":"o-17"}): exit 0 once every one arrived, 124 at --timeout naming those that did not'
            cand --summary 'End-of-run summary on stderr: auto, table, json or none [auto: a table on a terminal with --expect]; junit=FILE also writes the expectations as a JUnit report (repeatable)'
            cand --brokers 'Kafka bootstrap brokers, comma separated'
            cand --topic 'Kafka topic'
            cand -X 'A librdkafka property, like kcat''s -X (repeatable); applied after -F'
            cand -F 'A librdkafka properties file (key=value lines, # comments)'
            cand --redis 'Redis URL (redis://, rediss://, or redis+cluster://host:port,… for a Redis Cluster), or `off` to use Kafka only. A password in it is never printed'
            cand --color 'When to use colours on a terminal (NO_COLOR is honoured by auto)'
            cand --profile 'Take unset options from this profile of the config file [default: the file''s `default`]'
            cand --config 'The config file [default: $XDG_CONFIG_HOME/dualstream/config.toml, else ~/.config/dualstream/config.toml]'
            cand --literal 'Subscribe to every PATTERN as a literal channel name, glob characters included'
            cand --fetch 'Print the full event from Kafka (at the notification''s topic/partition/offset) for each notification'
            cand --fill-gaps 'Fill every gap in the live stream (a reconnect, messages dropped past --queue) from Kafka (--topic), with the seam of --catch-up: each event printed once [default: on with --catch-up]'
            cand --no-fill-gaps 'Report gaps without filling them, also with --catch-up'
            cand --expect-once 'With --expect, an expectation met twice is a failure (exit 6)'
            cand --sharded 'Sharded Pub/Sub (Redis 7+): notify with SPUBLISH and tail with SSUBSCRIBE at each channel''s slot owner, so a Redis Cluster keeps each message in one shard. Channel names only, no globs'
            cand -q 'Print only errors'
            cand --quiet 'Print only errors'
            cand -v 'More detail on stderr: -v for client logs and error causes, -vv for debug'
            cand --verbose 'More detail on stderr: -v for client logs and error causes, -vv for debug'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'dualstream;serve'= {
            cand --listen 'Address to listen on; any but a loopback address needs --no-auth'
            cand --channel 'Channel template of the publisher, to match Kafka events to PATTERNs when a client resumes'
            cand --client-queue 'Bytes queued for one client (1048576, 512KiB, 4MiB); past it the client''s stream ends with an overflow event and the client resumes from Kafka'
            cand --max-clients 'Clients served at once; past it a new client gets 503'
            cand --heartbeat 'A heartbeat (an SSE comment, a WebSocket ping) after this long without an event'
            cand --retry 'How long an SSE client waits before it reconnects (the `retry:` field)'
            cand --header-timeout 'How long a connection may take to send its request headers'
            cand --queue 'Messages held between Redis and the fan-out; past this, clients are sent to resume'
            cand --brokers 'Kafka bootstrap brokers, comma separated'
            cand --topic 'Kafka topic'
            cand -X 'A librdkafka property, like kcat''s -X (repeatable); applied after -F'
            cand -F 'A librdkafka properties file (key=value lines, # comments)'
            cand --redis 'Redis URL (redis://, rediss://, or redis+cluster://host:port,… for a Redis Cluster), or `off` to use Kafka only. A password in it is never printed'
            cand --color 'When to use colours on a terminal (NO_COLOR is honoured by auto)'
            cand --profile 'Take unset options from this profile of the config file [default: the file''s `default`]'
            cand --config 'The config file [default: $XDG_CONFIG_HOME/dualstream/config.toml, else ~/.config/dualstream/config.toml]'
            cand --literal 'Subscribe to every PATTERN as a literal channel name, glob characters included'
            cand --no-auth 'Serve a non-loopback --listen address without authentication: anyone who reaches it reads every event'
            cand --sharded 'Sharded Pub/Sub (Redis 7+): notify with SPUBLISH and tail with SSUBSCRIBE at each channel''s slot owner, so a Redis Cluster keeps each message in one shard. Channel names only, no globs'
            cand -q 'Print only errors'
            cand --quiet 'Print only errors'
            cand -v 'More detail on stderr: -v for client logs and error causes, -vv for debug'
            cand --verbose 'More detail on stderr: -v for client logs and error causes, -vv for debug'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'dualstream;health'= {
            cand --group 'Report this consumer group''s committed offsets and lag on --topic'
            cand --max-lag 'Degraded (exit 6) when the group''s total lag is over N'
            cand --max-latency 'Degraded (exit 6) when the probe takes longer than this end to end'
            cand --channel 'Channels whose subscriber counts to report (PUBSUB NUMSUB; with --sharded, SHARDNUMSUB at each channel''s slot owner); repeatable'
            cand --format 'Report format'
            cand --timeout 'Bound on the whole check; an unreachable broker never hangs it longer'
            cand --brokers 'Kafka bootstrap brokers, comma separated'
            cand --topic 'Kafka topic'
            cand -X 'A librdkafka property, like kcat''s -X (repeatable); applied after -F'
            cand -F 'A librdkafka properties file (key=value lines, # comments)'
            cand --redis 'Redis URL (redis://, rediss://, or redis+cluster://host:port,… for a Redis Cluster), or `off` to use Kafka only. A password in it is never printed'
            cand --color 'When to use colours on a terminal (NO_COLOR is honoured by auto)'
            cand --profile 'Take unset options from this profile of the config file [default: the file''s `default`]'
            cand --config 'The config file [default: $XDG_CONFIG_HOME/dualstream/config.toml, else ~/.config/dualstream/config.toml]'
            cand --probe 'Send one real event through the whole path (Kafka produce and ack, Redis publish and receive) and time each step'
            cand --sharded 'Sharded Pub/Sub (Redis 7+): notify with SPUBLISH and tail with SSUBSCRIBE at each channel''s slot owner, so a Redis Cluster keeps each message in one shard. Channel names only, no globs'
            cand -q 'Print only errors'
            cand --quiet 'Print only errors'
            cand -v 'More detail on stderr: -v for client logs and error causes, -vv for debug'
            cand --verbose 'More detail on stderr: -v for client logs and error causes, -vv for debug'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'dualstream;replay'= {
            cand --from-offset 'Start at offset N in each partition; negative: N before the end'
            cand --from-time 'Start at the first record at or after TIME: RFC 3339, epoch ms, or a duration ago (1h, 30m)'
            cand --to-offset 'Stop before offset N in each partition'
            cand --last 'The newest N records across all partitions, merged by timestamp and printed oldest first (with --filter: the newest N that match; with --follow: then go on live)'
            cand --count 'Stop after N records in all'
            cand --partition 'Only these partitions'
            cand --group 'Read as a member of consumer group G and commit what was processed: several `replay --group G` split the partitions, and a rerun resumes where the last one stopped. Partitions the group never committed start at the beginning (or --from-end)'
            cand --to-time 'Stop each partition at its first record at or after TIME: RFC 3339, epoch ms, or a duration ago'
            cand --filter 'Only records whose field has one of the values: type, source_type, source_id, id (read from headers and key, else from the value), or a dotted path into the value'
            cand --format 'What to print: ndjson (each value, byte for byte), envelope (JSON with partition, offset, timestamp, key, headers, value), or csv'
            cand --channel 'Channel template for --to-redis'
            cand --rate 'With --to-redis, send at most N notifications a second (500 or 500/s)'
            cand --to-topic 'Instead of printing, copy the records to this topic, keeping key, headers and timestamp (acks=all, idempotent; exit 4 if any copy is not acknowledged)'
            cand --max-in-flight 'With --to-topic, most copies sent and not yet acknowledged'
            cand --compression 'With --to-topic, compress the copies'' record batches (librdkafka''s compression.codec). Tansu 0.6 stores snappy batches but cannot serve them back: use another codec with it'
            cand --summary 'End-of-run summary per partition on stderr: auto, table, json or none [auto: a table on a terminal, nothing on a pipe]; junit=FILE also writes the expectations of --expect as a JUnit report (repeatable)'
            cand --timeout 'How long Kafka may take to answer before the run fails (exit 4)'
            cand --wait 'With --follow, stop after this long: exit 124 if --count records (or every --expect expectation) had not arrived by then'
            cand --expect 'Wait for the events in FILE (one a line: an id, or a JSON object of field values): stop with 0 once every one was read, 124 at the end (or at --wait with --follow) naming those that were not'
            cand --brokers 'Kafka bootstrap brokers, comma separated'
            cand --topic 'Kafka topic'
            cand -X 'A librdkafka property, like kcat''s -X (repeatable); applied after -F'
            cand -F 'A librdkafka properties file (key=value lines, # comments)'
            cand --redis 'Redis URL (redis://, rediss://, or redis+cluster://host:port,… for a Redis Cluster), or `off` to use Kafka only. A password in it is never printed'
            cand --color 'When to use colours on a terminal (NO_COLOR is honoured by auto)'
            cand --profile 'Take unset options from this profile of the config file [default: the file''s `default`]'
            cand --config 'The config file [default: $XDG_CONFIG_HOME/dualstream/config.toml, else ~/.config/dualstream/config.toml]'
            cand --from-beginning 'Start at the first offset of each partition (the default)'
            cand --from-end 'Start at the end: only what arrives from now on (with --follow)'
            cand --follow 'Keep reading past the end offsets, until Ctrl-C or --count'
            cand --envelope 'Short for --format envelope'
            cand --to-redis 'Instead of printing, re-send each record''s notification to Redis as publish would (repairs subscribers after a Redis outage)'
            cand --progress 'Show the progress bar even when stderr is not a terminal'
            cand --expect-once 'With --expect, an expectation met twice is a failure (exit 6)'
            cand --sharded 'Sharded Pub/Sub (Redis 7+): notify with SPUBLISH and tail with SSUBSCRIBE at each channel''s slot owner, so a Redis Cluster keeps each message in one shard. Channel names only, no globs'
            cand -q 'Print only errors'
            cand --quiet 'Print only errors'
            cand -v 'More detail on stderr: -v for client logs and error causes, -vv for debug'
            cand --verbose 'More detail on stderr: -v for client logs and error causes, -vv for debug'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'dualstream;topic'= {
            cand --brokers 'Kafka bootstrap brokers, comma separated'
            cand --topic 'Kafka topic'
            cand -X 'A librdkafka property, like kcat''s -X (repeatable); applied after -F'
            cand -F 'A librdkafka properties file (key=value lines, # comments)'
            cand --redis 'Redis URL (redis://, rediss://, or redis+cluster://host:port,… for a Redis Cluster), or `off` to use Kafka only. A password in it is never printed'
            cand --color 'When to use colours on a terminal (NO_COLOR is honoured by auto)'
            cand --profile 'Take unset options from this profile of the config file [default: the file''s `default`]'
            cand --config 'The config file [default: $XDG_CONFIG_HOME/dualstream/config.toml, else ~/.config/dualstream/config.toml]'
            cand --sharded 'Sharded Pub/Sub (Redis 7+): notify with SPUBLISH and tail with SSUBSCRIBE at each channel''s slot owner, so a Redis Cluster keeps each message in one shard. Channel names only, no globs'
            cand -q 'Print only errors'
            cand --quiet 'Print only errors'
            cand -v 'More detail on stderr: -v for client logs and error causes, -vv for debug'
            cand --verbose 'More detail on stderr: -v for client logs and error causes, -vv for debug'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand create 'Create a topic; one that exists already with other settings is reported (exit 4)'
            cand list 'Every topic with its partitions, replication factor and messages (end − start offsets)'
            cand describe 'One topic''s partitions (leader, replicas, in-sync replicas, offsets) and configs'
            cand delete 'Delete a topic and every record in it (needs --yes)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'dualstream;topic;create'= {
            cand --partitions 'Partitions [default: 3]'
            cand --replication-factor 'Replication factor [default: 3, or the number of brokers if fewer]'
            cand --min-insync-replicas 'min.insync.replicas [default: replication factor − 1, at least 1]'
            cand --timeout 'How long Kafka may take to answer (exit 4)'
            cand --brokers 'Kafka bootstrap brokers, comma separated'
            cand --topic 'Kafka topic'
            cand -X 'A librdkafka property, like kcat''s -X (repeatable); applied after -F'
            cand -F 'A librdkafka properties file (key=value lines, # comments)'
            cand --redis 'Redis URL (redis://, rediss://, or redis+cluster://host:port,… for a Redis Cluster), or `off` to use Kafka only. A password in it is never printed'
            cand --color 'When to use colours on a terminal (NO_COLOR is honoured by auto)'
            cand --profile 'Take unset options from this profile of the config file [default: the file''s `default`]'
            cand --config 'The config file [default: $XDG_CONFIG_HOME/dualstream/config.toml, else ~/.config/dualstream/config.toml]'
            cand --sharded 'Sharded Pub/Sub (Redis 7+): notify with SPUBLISH and tail with SSUBSCRIBE at each channel''s slot owner, so a Redis Cluster keeps each message in one shard. Channel names only, no globs'
            cand -q 'Print only errors'
            cand --quiet 'Print only errors'
            cand -v 'More detail on stderr: -v for client logs and error causes, -vv for debug'
            cand --verbose 'More detail on stderr: -v for client logs and error causes, -vv for debug'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'dualstream;topic;list'= {
            cand --format 'Output format [default: table on a terminal, json (one object a line) on a pipe]'
            cand --timeout 'How long Kafka may take to answer (exit 4)'
            cand --brokers 'Kafka bootstrap brokers, comma separated'
            cand --topic 'Kafka topic'
            cand -X 'A librdkafka property, like kcat''s -X (repeatable); applied after -F'
            cand -F 'A librdkafka properties file (key=value lines, # comments)'
            cand --redis 'Redis URL (redis://, rediss://, or redis+cluster://host:port,… for a Redis Cluster), or `off` to use Kafka only. A password in it is never printed'
            cand --color 'When to use colours on a terminal (NO_COLOR is honoured by auto)'
            cand --profile 'Take unset options from this profile of the config file [default: the file''s `default`]'
            cand --config 'The config file [default: $XDG_CONFIG_HOME/dualstream/config.toml, else ~/.config/dualstream/config.toml]'
            cand --internal 'Also the internal topics (__consumer_offsets, …)'
            cand --sharded 'Sharded Pub/Sub (Redis 7+): notify with SPUBLISH and tail with SSUBSCRIBE at each channel''s slot owner, so a Redis Cluster keeps each message in one shard. Channel names only, no globs'
            cand -q 'Print only errors'
            cand --quiet 'Print only errors'
            cand -v 'More detail on stderr: -v for client logs and error causes, -vv for debug'
            cand --verbose 'More detail on stderr: -v for client logs and error causes, -vv for debug'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'dualstream;topic;describe'= {
            cand --format 'Output format [default: table on a terminal, json on a pipe]'
            cand --timeout 'How long Kafka may take to answer (exit 4)'
            cand --brokers 'Kafka bootstrap brokers, comma separated'
            cand --topic 'Kafka topic'
            cand -X 'A librdkafka property, like kcat''s -X (repeatable); applied after -F'
            cand -F 'A librdkafka properties file (key=value lines, # comments)'
            cand --redis 'Redis URL (redis://, rediss://, or redis+cluster://host:port,… for a Redis Cluster), or `off` to use Kafka only. A password in it is never printed'
            cand --color 'When to use colours on a terminal (NO_COLOR is honoured by auto)'
            cand --profile 'Take unset options from this profile of the config file [default: the file''s `default`]'
            cand --config 'The config file [default: $XDG_CONFIG_HOME/dualstream/config.toml, else ~/.config/dualstream/config.toml]'
            cand --sharded 'Sharded Pub/Sub (Redis 7+): notify with SPUBLISH and tail with SSUBSCRIBE at each channel''s slot owner, so a Redis Cluster keeps each message in one shard. Channel names only, no globs'
            cand -q 'Print only errors'
            cand --quiet 'Print only errors'
            cand -v 'More detail on stderr: -v for client logs and error causes, -vv for debug'
            cand --verbose 'More detail on stderr: -v for client logs and error causes, -vv for debug'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'dualstream;topic;delete'= {
            cand --timeout 'How long Kafka may take to answer (exit 4)'
            cand --brokers 'Kafka bootstrap brokers, comma separated'
            cand --topic 'Kafka topic'
            cand -X 'A librdkafka property, like kcat''s -X (repeatable); applied after -F'
            cand -F 'A librdkafka properties file (key=value lines, # comments)'
            cand --redis 'Redis URL (redis://, rediss://, or redis+cluster://host:port,… for a Redis Cluster), or `off` to use Kafka only. A password in it is never printed'
            cand --color 'When to use colours on a terminal (NO_COLOR is honoured by auto)'
            cand --profile 'Take unset options from this profile of the config file [default: the file''s `default`]'
            cand --config 'The config file [default: $XDG_CONFIG_HOME/dualstream/config.toml, else ~/.config/dualstream/config.toml]'
            cand --yes 'Really delete it, with every record in it'
            cand --sharded 'Sharded Pub/Sub (Redis 7+): notify with SPUBLISH and tail with SSUBSCRIBE at each channel''s slot owner, so a Redis Cluster keeps each message in one shard. Channel names only, no globs'
            cand -q 'Print only errors'
            cand --quiet 'Print only errors'
            cand -v 'More detail on stderr: -v for client logs and error causes, -vv for debug'
            cand --verbose 'More detail on stderr: -v for client logs and error causes, -vv for debug'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'dualstream;topic;help'= {
            cand create 'Create a topic; one that exists already with other settings is reported (exit 4)'
            cand list 'Every topic with its partitions, replication factor and messages (end − start offsets)'
            cand describe 'One topic''s partitions (leader, replicas, in-sync replicas, offsets) and configs'
            cand delete 'Delete a topic and every record in it (needs --yes)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'dualstream;topic;help;create'= {
        }
        &'dualstream;topic;help;list'= {
        }
        &'dualstream;topic;help;describe'= {
        }
        &'dualstream;topic;help;delete'= {
        }
        &'dualstream;topic;help;help'= {
        }
        &'dualstream;profile'= {
            cand --brokers 'Kafka bootstrap brokers, comma separated'
            cand --topic 'Kafka topic'
            cand -X 'A librdkafka property, like kcat''s -X (repeatable); applied after -F'
            cand -F 'A librdkafka properties file (key=value lines, # comments)'
            cand --redis 'Redis URL (redis://, rediss://, or redis+cluster://host:port,… for a Redis Cluster), or `off` to use Kafka only. A password in it is never printed'
            cand --color 'When to use colours on a terminal (NO_COLOR is honoured by auto)'
            cand --profile 'Take unset options from this profile of the config file [default: the file''s `default`]'
            cand --config 'The config file [default: $XDG_CONFIG_HOME/dualstream/config.toml, else ~/.config/dualstream/config.toml]'
            cand --sharded 'Sharded Pub/Sub (Redis 7+): notify with SPUBLISH and tail with SSUBSCRIBE at each channel''s slot owner, so a Redis Cluster keeps each message in one shard. Channel names only, no globs'
            cand -q 'Print only errors'
            cand --quiet 'Print only errors'
            cand -v 'More detail on stderr: -v for client logs and error causes, -vv for debug'
            cand --verbose 'More detail on stderr: -v for client logs and error causes, -vv for debug'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand list 'Every profile of the config file: brokers, Redis, topic; the default marked'
            cand show 'Every setting of one profile, secrets masked'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'dualstream;profile;list'= {
            cand --format 'Output format'
            cand --brokers 'Kafka bootstrap brokers, comma separated'
            cand --topic 'Kafka topic'
            cand -X 'A librdkafka property, like kcat''s -X (repeatable); applied after -F'
            cand -F 'A librdkafka properties file (key=value lines, # comments)'
            cand --redis 'Redis URL (redis://, rediss://, or redis+cluster://host:port,… for a Redis Cluster), or `off` to use Kafka only. A password in it is never printed'
            cand --color 'When to use colours on a terminal (NO_COLOR is honoured by auto)'
            cand --profile 'Take unset options from this profile of the config file [default: the file''s `default`]'
            cand --config 'The config file [default: $XDG_CONFIG_HOME/dualstream/config.toml, else ~/.config/dualstream/config.toml]'
            cand --sharded 'Sharded Pub/Sub (Redis 7+): notify with SPUBLISH and tail with SSUBSCRIBE at each channel''s slot owner, so a Redis Cluster keeps each message in one shard. Channel names only, no globs'
            cand -q 'Print only errors'
            cand --quiet 'Print only errors'
            cand -v 'More detail on stderr: -v for client logs and error causes, -vv for debug'
            cand --verbose 'More detail on stderr: -v for client logs and error causes, -vv for debug'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'dualstream;profile;show'= {
            cand --format 'Output format'
            cand --brokers 'Kafka bootstrap brokers, comma separated'
            cand --topic 'Kafka topic'
            cand -X 'A librdkafka property, like kcat''s -X (repeatable); applied after -F'
            cand -F 'A librdkafka properties file (key=value lines, # comments)'
            cand --redis 'Redis URL (redis://, rediss://, or redis+cluster://host:port,… for a Redis Cluster), or `off` to use Kafka only. A password in it is never printed'
            cand --color 'When to use colours on a terminal (NO_COLOR is honoured by auto)'
            cand --profile 'Take unset options from this profile of the config file [default: the file''s `default`]'
            cand --config 'The config file [default: $XDG_CONFIG_HOME/dualstream/config.toml, else ~/.config/dualstream/config.toml]'
            cand --sharded 'Sharded Pub/Sub (Redis 7+): notify with SPUBLISH and tail with SSUBSCRIBE at each channel''s slot owner, so a Redis Cluster keeps each message in one shard. Channel names only, no globs'
            cand -q 'Print only errors'
            cand --quiet 'Print only errors'
            cand -v 'More detail on stderr: -v for client logs and error causes, -vv for debug'
            cand --verbose 'More detail on stderr: -v for client logs and error causes, -vv for debug'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'dualstream;profile;help'= {
            cand list 'Every profile of the config file: brokers, Redis, topic; the default marked'
            cand show 'Every setting of one profile, secrets masked'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'dualstream;profile;help;list'= {
        }
        &'dualstream;profile;help;show'= {
        }
        &'dualstream;profile;help;help'= {
        }
        &'dualstream;completions'= {
            cand --brokers 'Kafka bootstrap brokers, comma separated'
            cand --topic 'Kafka topic'
            cand -X 'A librdkafka property, like kcat''s -X (repeatable); applied after -F'
            cand -F 'A librdkafka properties file (key=value lines, # comments)'
            cand --redis 'Redis URL (redis://, rediss://, or redis+cluster://host:port,… for a Redis Cluster), or `off` to use Kafka only. A password in it is never printed'
            cand --color 'When to use colours on a terminal (NO_COLOR is honoured by auto)'
            cand --profile 'Take unset options from this profile of the config file [default: the file''s `default`]'
            cand --config 'The config file [default: $XDG_CONFIG_HOME/dualstream/config.toml, else ~/.config/dualstream/config.toml]'
            cand --sharded 'Sharded Pub/Sub (Redis 7+): notify with SPUBLISH and tail with SSUBSCRIBE at each channel''s slot owner, so a Redis Cluster keeps each message in one shard. Channel names only, no globs'
            cand -q 'Print only errors'
            cand --quiet 'Print only errors'
            cand -v 'More detail on stderr: -v for client logs and error causes, -vv for debug'
            cand --verbose 'More detail on stderr: -v for client logs and error causes, -vv for debug'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'dualstream;man'= {
            cand --out-dir 'Write dualstream.1 and one page per subcommand into this directory'
            cand --brokers 'Kafka bootstrap brokers, comma separated'
            cand --topic 'Kafka topic'
            cand -X 'A librdkafka property, like kcat''s -X (repeatable); applied after -F'
            cand -F 'A librdkafka properties file (key=value lines, # comments)'
            cand --redis 'Redis URL (redis://, rediss://, or redis+cluster://host:port,… for a Redis Cluster), or `off` to use Kafka only. A password in it is never printed'
            cand --color 'When to use colours on a terminal (NO_COLOR is honoured by auto)'
            cand --profile 'Take unset options from this profile of the config file [default: the file''s `default`]'
            cand --config 'The config file [default: $XDG_CONFIG_HOME/dualstream/config.toml, else ~/.config/dualstream/config.toml]'
            cand --sharded 'Sharded Pub/Sub (Redis 7+): notify with SPUBLISH and tail with SSUBSCRIBE at each channel''s slot owner, so a Redis Cluster keeps each message in one shard. Channel names only, no globs'
            cand -q 'Print only errors'
            cand --quiet 'Print only errors'
            cand -v 'More detail on stderr: -v for client logs and error causes, -vv for debug'
            cand --verbose 'More detail on stderr: -v for client logs and error causes, -vv for debug'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'dualstream;help'= {
            cand publish 'Publish NDJSON or CSV events to Kafka, then notify Redis'
            cand tail 'Follow Redis channels by glob (PSUBSCRIBE) or by name (SUBSCRIBE)'
            cand serve 'Serve live events to browsers and services over Server-Sent Events and WebSocket, resuming from Kafka with no gap and no duplicate'
            cand health 'Check Kafka and Redis: brokers, partitions, lag, Redis state, and an end-to-end probe'
            cand replay 'Read a Kafka topic from an offset or a time, up to the end offsets taken at start'
            cand topic 'Create, list, describe and delete Kafka topics'
            cand profile 'List and show the named profiles of the config file (secrets masked)'
            cand completions 'Print a shell completion script'
            cand man 'Print the man page (roff), or write every page into a directory'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'dualstream;help;publish'= {
        }
        &'dualstream;help;tail'= {
        }
        &'dualstream;help;serve'= {
        }
        &'dualstream;help;health'= {
        }
        &'dualstream;help;replay'= {
        }
        &'dualstream;help;topic'= {
            cand create 'Create a topic; one that exists already with other settings is reported (exit 4)'
            cand list 'Every topic with its partitions, replication factor and messages (end − start offsets)'
            cand describe 'One topic''s partitions (leader, replicas, in-sync replicas, offsets) and configs'
            cand delete 'Delete a topic and every record in it (needs --yes)'
        }
        &'dualstream;help;topic;create'= {
        }
        &'dualstream;help;topic;list'= {
        }
        &'dualstream;help;topic;describe'= {
        }
        &'dualstream;help;topic;delete'= {
        }
        &'dualstream;help;profile'= {
            cand list 'Every profile of the config file: brokers, Redis, topic; the default marked'
            cand show 'Every setting of one profile, secrets masked'
        }
        &'dualstream;help;profile;list'= {
        }
        &'dualstream;help;profile;show'= {
        }
        &'dualstream;help;completions'= {
        }
        &'dualstream;help;man'= {
        }
        &'dualstream;help;help'= {
        }
    ]
    $completions[$command]
}
