
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'dualstream' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'dualstream'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'dualstream' {
            [CompletionResult]::new('--brokers', '--brokers', [CompletionResultType]::ParameterName, 'Kafka bootstrap brokers, comma separated')
            [CompletionResult]::new('--topic', '--topic', [CompletionResultType]::ParameterName, 'Kafka topic')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'A librdkafka property, like kcat''s -X (repeatable); applied after -F')
            [CompletionResult]::new('-F', '-F ', [CompletionResultType]::ParameterName, 'A librdkafka properties file (key=value lines, # comments)')
            [CompletionResult]::new('--isolation', '--isolation', [CompletionResultType]::ParameterName, 'What readers (replay, tail --catch-up/--fill-gaps/--fetch) see of Kafka transactions: read_committed hands on only committed records, never aborted ones or transaction markers; read_uncommitted everything')
            [CompletionResult]::new('--redis', '--redis', [CompletionResultType]::ParameterName, 'Redis URL (redis://, rediss://, or redis+cluster://host:port,… for a Redis Cluster), or `off` to use Kafka only. A password in it is never printed')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours on a terminal (NO_COLOR is honoured by auto)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Take unset options from this profile of the config file [default: the file''s `default`]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file [default: $XDG_CONFIG_HOME/dualstream/config.toml, else ~/.config/dualstream/config.toml]')
            [CompletionResult]::new('--sharded', '--sharded', [CompletionResultType]::ParameterName, 'Sharded Pub/Sub (Redis 7+): notify with SPUBLISH and tail with SSUBSCRIBE at each channel''s slot owner, so a Redis Cluster keeps each message in one shard. Channel names only, no globs')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr: -v for client logs and error causes, -vv for debug')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr: -v for client logs and error causes, -vv for debug')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('publish', 'publish', [CompletionResultType]::ParameterValue, 'Publish NDJSON or CSV events to Kafka, then notify Redis')
            [CompletionResult]::new('tail', 'tail', [CompletionResultType]::ParameterValue, 'Follow Redis channels by glob (PSUBSCRIBE) or by name (SUBSCRIBE)')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Serve live events to browsers and services over Server-Sent Events and WebSocket, resuming from Kafka with no gap and no duplicate')
            [CompletionResult]::new('health', 'health', [CompletionResultType]::ParameterValue, 'Check Kafka and Redis: brokers, partitions, lag, Redis state, and an end-to-end probe')
            [CompletionResult]::new('replay', 'replay', [CompletionResultType]::ParameterValue, 'Read a Kafka topic from an offset or a time, up to the end offsets taken at start')
            [CompletionResult]::new('topic', 'topic', [CompletionResultType]::ParameterValue, 'Create, list, describe and delete Kafka topics')
            [CompletionResult]::new('profile', 'profile', [CompletionResultType]::ParameterValue, 'List and show the named profiles of the config file (secrets masked)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the man page (roff), or write every page into a directory')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'dualstream;publish' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Input format [default: by extension (.csv is CSV), else NDJSON]')
            [CompletionResult]::new('--max-line-bytes', '--max-line-bytes', [CompletionResultType]::ParameterName, 'Longest accepted line (NDJSON) or record (CSV): bytes, or with a unit (64KiB, 1MiB, 1MB = 10^6)')
            [CompletionResult]::new('--skip-lines', '--skip-lines', [CompletionResultType]::ParameterName, 'Skip lines 1..=N of the first input (a rerun from "resume from FILE:N+1"): read, not published. Positions keep counting from the top; a CSV header is read all the same, and a record starting on a skipped line is skipped whole. Later inputs are read whole')
            [CompletionResult]::new('--id-field', '--id-field', [CompletionResultType]::ParameterName, 'Field holding the event id (dotted path); absent ids are derived from the content')
            [CompletionResult]::new('--type-field', '--type-field', [CompletionResultType]::ParameterName, 'Field holding the event type (dotted path)')
            [CompletionResult]::new('--type', '--type', [CompletionResultType]::ParameterName, 'A constant event type for every event, instead of --type-field')
            [CompletionResult]::new('--source-type-field', '--source-type-field', [CompletionResultType]::ParameterName, 'Field holding the source type (dotted path)')
            [CompletionResult]::new('--source-type', '--source-type', [CompletionResultType]::ParameterName, 'A constant source type for every event, instead of --source-type-field')
            [CompletionResult]::new('--source-id-field', '--source-id-field', [CompletionResultType]::ParameterName, 'Field holding the source id, the Kafka key (dotted path, e.g. repo.name)')
            [CompletionResult]::new('--source-id', '--source-id', [CompletionResultType]::ParameterName, 'A constant source id for every event, instead of --source-id-field')
            [CompletionResult]::new('--time-field', '--time-field', [CompletionResultType]::ParameterName, 'Field holding the event time (RFC 3339 or epoch ms); the Kafka timestamp, else now')
            [CompletionResult]::new('--on-invalid', '--on-invalid', [CompletionResultType]::ParameterName, 'What to do with an invalid line: fail (exit 3), skip, or dead-letter=FILE')
            [CompletionResult]::new('--channel', '--channel', [CompletionResultType]::ParameterName, 'Redis channel template; placeholders {source_type} {source_id} {type} {id} {topic}; {{ and }} for literal braces (a Redis Cluster hash tag)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long Kafka may take to connect or to acknowledge an event before the run fails (exit 4)')
            [CompletionResult]::new('--max-in-flight', '--max-in-flight', [CompletionResultType]::ParameterName, 'Most events sent to Kafka and not yet acknowledged; fewer while acknowledgements are slow (the window follows their latency)')
            [CompletionResult]::new('--compression', '--compression', [CompletionResultType]::ParameterName, 'Compress record batches (librdkafka''s compression.codec). Tansu 0.6 stores snappy batches but cannot serve them back: use another codec with it')
            [CompletionResult]::new('--redis-batch', '--redis-batch', [CompletionResultType]::ParameterName, 'Most notifications in one Redis pipeline')
            [CompletionResult]::new('--partitions', '--partitions', [CompletionResultType]::ParameterName, 'Partitions for --create-topic [default: 3]; an existing topic with another count is reported')
            [CompletionResult]::new('--replication-factor', '--replication-factor', [CompletionResultType]::ParameterName, 'Replication factor for --create-topic [default: 3, or the number of brokers if fewer]')
            [CompletionResult]::new('--min-insync-replicas', '--min-insync-replicas', [CompletionResultType]::ParameterName, 'min.insync.replicas for --create-topic [default: replication factor − 1, at least 1]')
            [CompletionResult]::new('--summary', '--summary', [CompletionResultType]::ParameterName, 'End-of-run summary on stderr: auto, table, json or none [auto: a table on a terminal, nothing on a pipe]; json=FILE also writes the JSON summary to FILE, apart from any warning (repeatable)')
            [CompletionResult]::new('--brokers', '--brokers', [CompletionResultType]::ParameterName, 'Kafka bootstrap brokers, comma separated')
            [CompletionResult]::new('--topic', '--topic', [CompletionResultType]::ParameterName, 'Kafka topic')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'A librdkafka property, like kcat''s -X (repeatable); applied after -F')
            [CompletionResult]::new('-F', '-F ', [CompletionResultType]::ParameterName, 'A librdkafka properties file (key=value lines, # comments)')
            [CompletionResult]::new('--isolation', '--isolation', [CompletionResultType]::ParameterName, 'What readers (replay, tail --catch-up/--fill-gaps/--fetch) see of Kafka transactions: read_committed hands on only committed records, never aborted ones or transaction markers; read_uncommitted everything')
            [CompletionResult]::new('--redis', '--redis', [CompletionResultType]::ParameterName, 'Redis URL (redis://, rediss://, or redis+cluster://host:port,… for a Redis Cluster), or `off` to use Kafka only. A password in it is never printed')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours on a terminal (NO_COLOR is honoured by auto)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Take unset options from this profile of the config file [default: the file''s `default`]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file [default: $XDG_CONFIG_HOME/dualstream/config.toml, else ~/.config/dualstream/config.toml]')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Validate and print what would be sent, without connecting to anything')
            [CompletionResult]::new('--redis-required', '--redis-required', [CompletionResultType]::ParameterName, 'Exit 5 when any notification failed on Redis (the events are in Kafka all the same; the failed ones are named with the replay that re-sends them)')
            [CompletionResult]::new('--no-headers', '--no-headers', [CompletionResultType]::ParameterName, 'Send no id/type/source_type headers. Brokers that store each header as a row (Tansu with sqlite) take events about three times faster without them')
            [CompletionResult]::new('--create-topic', '--create-topic', [CompletionResultType]::ParameterName, 'Create the topic through the admin API when it does not exist')
            [CompletionResult]::new('--progress', '--progress', [CompletionResultType]::ParameterName, 'Show the progress bar even when stderr is not a terminal')
            [CompletionResult]::new('--sharded', '--sharded', [CompletionResultType]::ParameterName, 'Sharded Pub/Sub (Redis 7+): notify with SPUBLISH and tail with SSUBSCRIBE at each channel''s slot owner, so a Redis Cluster keeps each message in one shard. Channel names only, no globs')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr: -v for client logs and error causes, -vv for debug')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr: -v for client logs and error causes, -vv for debug')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'dualstream;tail' {
            [CompletionResult]::new('--queue', '--queue', [CompletionResultType]::ParameterName, 'Messages held between Redis and the output; past this, messages are dropped and counted')
            [CompletionResult]::new('--catch-up', '--catch-up', [CompletionResultType]::ParameterName, 'First print the events of this window from Kafka (--topic), then go on live without a gap or a duplicate at the seam: a duration ago (10m, 2d) or a time (RFC 3339, 2026-12-01 10:00:00 in UTC, epoch ms)')
            [CompletionResult]::new('--channel', '--channel', [CompletionResultType]::ParameterName, 'Channel template of the publisher, to match Kafka events to PATTERNs in --catch-up')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Exit 0 after N messages')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Stop after this long; with --count, exit 124 if fewer than N arrived')
            [CompletionResult]::new('--expect', '--expect', [CompletionResultType]::ParameterName, 'Wait for the events in FILE (one a line: an id, or a JSON object of field values such as {"type":"order.created","source_id":"o-17"}): exit 0 once every one arrived, 124 at --timeout naming those that did not')
            [CompletionResult]::new('--filter', '--filter', [CompletionResultType]::ParameterName, 'Print (and count for --count) only messages whose field has one of the values: type, source_type, source_id, id, or a dotted path into the notification (with --fetch, into the event)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format, or a template such as ''{channel} {payload.id}'' [default: pretty on a terminal, json on a pipe]')
            [CompletionResult]::new('--fields', '--fields', [CompletionResultType]::ParameterName, 'The columns of csv or tsv output (implies csv), each a placeholder of --format without braces: received_at,channel,payload.id')
            [CompletionResult]::new('--summary', '--summary', [CompletionResultType]::ParameterName, 'End-of-run summary on stderr: auto, table, json or none [auto: a table on a terminal with --expect]; json=FILE also writes the JSON summary to FILE, apart from any warning; junit=FILE the expectations as a JUnit report (repeatable)')
            [CompletionResult]::new('--brokers', '--brokers', [CompletionResultType]::ParameterName, 'Kafka bootstrap brokers, comma separated')
            [CompletionResult]::new('--topic', '--topic', [CompletionResultType]::ParameterName, 'Kafka topic')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'A librdkafka property, like kcat''s -X (repeatable); applied after -F')
            [CompletionResult]::new('-F', '-F ', [CompletionResultType]::ParameterName, 'A librdkafka properties file (key=value lines, # comments)')
            [CompletionResult]::new('--isolation', '--isolation', [CompletionResultType]::ParameterName, 'What readers (replay, tail --catch-up/--fill-gaps/--fetch) see of Kafka transactions: read_committed hands on only committed records, never aborted ones or transaction markers; read_uncommitted everything')
            [CompletionResult]::new('--redis', '--redis', [CompletionResultType]::ParameterName, 'Redis URL (redis://, rediss://, or redis+cluster://host:port,… for a Redis Cluster), or `off` to use Kafka only. A password in it is never printed')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours on a terminal (NO_COLOR is honoured by auto)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Take unset options from this profile of the config file [default: the file''s `default`]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file [default: $XDG_CONFIG_HOME/dualstream/config.toml, else ~/.config/dualstream/config.toml]')
            [CompletionResult]::new('--literal', '--literal', [CompletionResultType]::ParameterName, 'Subscribe to every PATTERN as a literal channel name, glob characters included')
            [CompletionResult]::new('--expect-once', '--expect-once', [CompletionResultType]::ParameterName, 'With --expect, an expectation met twice is a failure (exit 6)')
            [CompletionResult]::new('--fill-gaps', '--fill-gaps', [CompletionResultType]::ParameterName, 'Fill every gap in the live stream (a reconnect, messages dropped past --queue) from Kafka (--topic), with the seam of --catch-up: each event printed once [default: on with --catch-up]')
            [CompletionResult]::new('--no-fill-gaps', '--no-fill-gaps', [CompletionResultType]::ParameterName, 'Report gaps without filling them, also with --catch-up')
            [CompletionResult]::new('--fetch', '--fetch', [CompletionResultType]::ParameterName, 'Print the full event from Kafka (at the notification''s topic/partition/offset) for each notification')
            [CompletionResult]::new('--sharded', '--sharded', [CompletionResultType]::ParameterName, 'Sharded Pub/Sub (Redis 7+): notify with SPUBLISH and tail with SSUBSCRIBE at each channel''s slot owner, so a Redis Cluster keeps each message in one shard. Channel names only, no globs')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr: -v for client logs and error causes, -vv for debug')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr: -v for client logs and error causes, -vv for debug')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'dualstream;serve' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address to listen on; any but a loopback address needs --auth or --no-auth')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'Require a JWT signed with this algorithm on every stream (Authorization: Bearer, the access_token cookie, or ?access_token=); its `channels` claim lists the patterns the client may read, `exp` is required and checked')
            [CompletionResult]::new('--auth-secret-file', '--auth-secret-file', [CompletionResultType]::ParameterName, 'File holding the --auth hs256 secret (the whole file, a trailing newline dropped); else the DUALSTREAM_AUTH_SECRET environment variable')
            [CompletionResult]::new('--auth-public-key', '--auth-public-key', [CompletionResultType]::ParameterName, 'PEM file with the public key for --auth rs256 or eddsa')
            [CompletionResult]::new('--auth-audience', '--auth-audience', [CompletionResultType]::ParameterName, 'The `aud` a token must carry (repeatable: any one of them)')
            [CompletionResult]::new('--auth-issuer', '--auth-issuer', [CompletionResultType]::ParameterName, 'The `iss` a token must carry (repeatable: any one of them)')
            [CompletionResult]::new('--allow-origin', '--allow-origin', [CompletionResultType]::ParameterName, 'An origin whose pages may read the streams (exact, as https://app.example.com; repeatable); `*` lets any page read, without cookies or credentials')
            [CompletionResult]::new('--tls-cert', '--tls-cert', [CompletionResultType]::ParameterName, 'PEM certificate chain to serve HTTPS and WSS with (needs --tls-key)')
            [CompletionResult]::new('--tls-key', '--tls-key', [CompletionResultType]::ParameterName, 'PEM private key of --tls-cert')
            [CompletionResult]::new('--channel', '--channel', [CompletionResultType]::ParameterName, 'Channel template of the publisher, to match Kafka events to PATTERNs when a client resumes')
            [CompletionResult]::new('--client-queue', '--client-queue', [CompletionResultType]::ParameterName, 'Bytes queued for one client (1048576, 512KiB, 4MiB); past it the client''s stream ends with an overflow event and the client resumes from Kafka')
            [CompletionResult]::new('--max-clients', '--max-clients', [CompletionResultType]::ParameterName, 'Clients served at once; past it a new client gets 503')
            [CompletionResult]::new('--heartbeat', '--heartbeat', [CompletionResultType]::ParameterName, 'A heartbeat (an SSE comment, a WebSocket ping) after this long without an event')
            [CompletionResult]::new('--retry', '--retry', [CompletionResultType]::ParameterName, 'How long an SSE client waits before it reconnects (the `retry:` field)')
            [CompletionResult]::new('--header-timeout', '--header-timeout', [CompletionResultType]::ParameterName, 'How long a connection may take to send its request headers')
            [CompletionResult]::new('--queue', '--queue', [CompletionResultType]::ParameterName, 'Messages held between Redis and the fan-out; past this, clients are sent to resume')
            [CompletionResult]::new('--brokers', '--brokers', [CompletionResultType]::ParameterName, 'Kafka bootstrap brokers, comma separated')
            [CompletionResult]::new('--topic', '--topic', [CompletionResultType]::ParameterName, 'Kafka topic')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'A librdkafka property, like kcat''s -X (repeatable); applied after -F')
            [CompletionResult]::new('-F', '-F ', [CompletionResultType]::ParameterName, 'A librdkafka properties file (key=value lines, # comments)')
            [CompletionResult]::new('--isolation', '--isolation', [CompletionResultType]::ParameterName, 'What readers (replay, tail --catch-up/--fill-gaps/--fetch) see of Kafka transactions: read_committed hands on only committed records, never aborted ones or transaction markers; read_uncommitted everything')
            [CompletionResult]::new('--redis', '--redis', [CompletionResultType]::ParameterName, 'Redis URL (redis://, rediss://, or redis+cluster://host:port,… for a Redis Cluster), or `off` to use Kafka only. A password in it is never printed')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours on a terminal (NO_COLOR is honoured by auto)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Take unset options from this profile of the config file [default: the file''s `default`]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file [default: $XDG_CONFIG_HOME/dualstream/config.toml, else ~/.config/dualstream/config.toml]')
            [CompletionResult]::new('--literal', '--literal', [CompletionResultType]::ParameterName, 'Subscribe to every PATTERN as a literal channel name, glob characters included')
            [CompletionResult]::new('--no-auth', '--no-auth', [CompletionResultType]::ParameterName, 'Serve a non-loopback --listen address without authentication: anyone who reaches it reads every event')
            [CompletionResult]::new('--sharded', '--sharded', [CompletionResultType]::ParameterName, 'Sharded Pub/Sub (Redis 7+): notify with SPUBLISH and tail with SSUBSCRIBE at each channel''s slot owner, so a Redis Cluster keeps each message in one shard. Channel names only, no globs')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr: -v for client logs and error causes, -vv for debug')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr: -v for client logs and error causes, -vv for debug')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'dualstream;health' {
            [CompletionResult]::new('--group', '--group', [CompletionResultType]::ParameterName, 'Report this consumer group''s committed offsets and lag on --topic')
            [CompletionResult]::new('--max-lag', '--max-lag', [CompletionResultType]::ParameterName, 'Degraded (exit 6) when the group''s total lag is over N')
            [CompletionResult]::new('--max-latency', '--max-latency', [CompletionResultType]::ParameterName, 'Degraded (exit 6) when the probe takes longer than this end to end')
            [CompletionResult]::new('--channel', '--channel', [CompletionResultType]::ParameterName, 'Channels whose subscriber counts to report (PUBSUB NUMSUB; with --sharded, SHARDNUMSUB at each channel''s slot owner); repeatable')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Report format')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Bound on the whole check; an unreachable broker never hangs it longer')
            [CompletionResult]::new('--brokers', '--brokers', [CompletionResultType]::ParameterName, 'Kafka bootstrap brokers, comma separated')
            [CompletionResult]::new('--topic', '--topic', [CompletionResultType]::ParameterName, 'Kafka topic')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'A librdkafka property, like kcat''s -X (repeatable); applied after -F')
            [CompletionResult]::new('-F', '-F ', [CompletionResultType]::ParameterName, 'A librdkafka properties file (key=value lines, # comments)')
            [CompletionResult]::new('--isolation', '--isolation', [CompletionResultType]::ParameterName, 'What readers (replay, tail --catch-up/--fill-gaps/--fetch) see of Kafka transactions: read_committed hands on only committed records, never aborted ones or transaction markers; read_uncommitted everything')
            [CompletionResult]::new('--redis', '--redis', [CompletionResultType]::ParameterName, 'Redis URL (redis://, rediss://, or redis+cluster://host:port,… for a Redis Cluster), or `off` to use Kafka only. A password in it is never printed')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours on a terminal (NO_COLOR is honoured by auto)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Take unset options from this profile of the config file [default: the file''s `default`]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file [default: $XDG_CONFIG_HOME/dualstream/config.toml, else ~/.config/dualstream/config.toml]')
            [CompletionResult]::new('--probe', '--probe', [CompletionResultType]::ParameterName, 'Send one real event through the whole path (Kafka produce and ack, Redis publish and receive) and time each step')
            [CompletionResult]::new('--sharded', '--sharded', [CompletionResultType]::ParameterName, 'Sharded Pub/Sub (Redis 7+): notify with SPUBLISH and tail with SSUBSCRIBE at each channel''s slot owner, so a Redis Cluster keeps each message in one shard. Channel names only, no globs')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr: -v for client logs and error causes, -vv for debug')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr: -v for client logs and error causes, -vv for debug')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'dualstream;replay' {
            [CompletionResult]::new('--from-offset', '--from-offset', [CompletionResultType]::ParameterName, 'Start at offset N in each partition; negative: N before the end')
            [CompletionResult]::new('--from-time', '--from-time', [CompletionResultType]::ParameterName, 'Start at the first record at or after TIME: RFC 3339, a date (2026-12-01) or date and time (2026-12-01 10:00:00) in UTC unless an offset follows, epoch ms, or a duration ago (30m, 2d)')
            [CompletionResult]::new('--last', '--last', [CompletionResultType]::ParameterName, 'The newest N records across all partitions, merged by timestamp and printed oldest first (with --filter: the newest N that match; with --follow: then go on live)')
            [CompletionResult]::new('--group', '--group', [CompletionResultType]::ParameterName, 'Read as a member of consumer group G and commit what was processed: several `replay --group G` split the partitions, and a rerun resumes where the last one stopped. Partitions the group never committed start at the beginning (or --from-end)')
            [CompletionResult]::new('--to-offset', '--to-offset', [CompletionResultType]::ParameterName, 'Stop before offset N in each partition')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Stop after N records in all')
            [CompletionResult]::new('--to-time', '--to-time', [CompletionResultType]::ParameterName, 'Stop each partition at its first record at or after TIME, in the forms of --from-time')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'With --follow, stop after this long: exit 124 if --count records (or every --expect expectation) had not arrived by then')
            [CompletionResult]::new('--expect', '--expect', [CompletionResultType]::ParameterName, 'Wait for the events in FILE (one a line: an id, or a JSON object of field values): stop with 0 once every one was read, 124 at the end (or at --wait with --follow) naming those that were not')
            [CompletionResult]::new('--partition', '--partition', [CompletionResultType]::ParameterName, 'Only these partitions')
            [CompletionResult]::new('--filter', '--filter', [CompletionResultType]::ParameterName, 'Only records whose field has one of the values: type, source_type, source_id, id (read from headers and key, else from the value), or a dotted path into the value')
            [CompletionResult]::new('--channel', '--channel', [CompletionResultType]::ParameterName, 'Channel template for --to-redis')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'With --to-redis, send at most N notifications a second (500 or 500/s)')
            [CompletionResult]::new('--to-topic', '--to-topic', [CompletionResultType]::ParameterName, 'Instead of printing, copy the records to this topic, keeping key, headers and timestamp (acks=all, idempotent; exit 4 if any copy is not acknowledged)')
            [CompletionResult]::new('--txn-records', '--txn-records', [CompletionResultType]::ParameterName, 'With --exactly-once, commit a transaction after this many records at most')
            [CompletionResult]::new('--txn-interval', '--txn-interval', [CompletionResultType]::ParameterName, 'With --exactly-once, commit a transaction after it has been open this long at most (what read-committed readers of the target wait for a copy, at the most)')
            [CompletionResult]::new('--transactional-id', '--transactional-id', [CompletionResultType]::ParameterName, 'With --exactly-once, the producer''s transactional id [default: dualstream-replay:G:TOPIC]. A copy starting with the id of a running one fences it: give each concurrent member of the group its own (stable across reruns)')
            [CompletionResult]::new('--max-in-flight', '--max-in-flight', [CompletionResultType]::ParameterName, 'With --to-topic, most copies sent and not yet acknowledged')
            [CompletionResult]::new('--compression', '--compression', [CompletionResultType]::ParameterName, 'With --to-topic, compress the copies'' record batches (librdkafka''s compression.codec). Tansu 0.6 stores snappy batches but cannot serve them back: use another codec with it')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'What to print, or a template such as ''{partition}@{offset} {key} {value.type}'' [default: pretty on a terminal, ndjson on a pipe]')
            [CompletionResult]::new('--fields', '--fields', [CompletionResultType]::ParameterName, 'The columns of csv or tsv output (implies csv), each a placeholder of --format without braces: partition,offset,key,value.type')
            [CompletionResult]::new('--summary', '--summary', [CompletionResultType]::ParameterName, 'End-of-run summary per partition on stderr: auto, table, json or none [auto: a table on a terminal, nothing on a pipe]; json=FILE also writes the JSON summary to FILE, apart from any warning; junit=FILE the expectations of --expect as a JUnit report (repeatable)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long Kafka may take to answer before the run fails (exit 4)')
            [CompletionResult]::new('--brokers', '--brokers', [CompletionResultType]::ParameterName, 'Kafka bootstrap brokers, comma separated')
            [CompletionResult]::new('--topic', '--topic', [CompletionResultType]::ParameterName, 'Kafka topic')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'A librdkafka property, like kcat''s -X (repeatable); applied after -F')
            [CompletionResult]::new('-F', '-F ', [CompletionResultType]::ParameterName, 'A librdkafka properties file (key=value lines, # comments)')
            [CompletionResult]::new('--isolation', '--isolation', [CompletionResultType]::ParameterName, 'What readers (replay, tail --catch-up/--fill-gaps/--fetch) see of Kafka transactions: read_committed hands on only committed records, never aborted ones or transaction markers; read_uncommitted everything')
            [CompletionResult]::new('--redis', '--redis', [CompletionResultType]::ParameterName, 'Redis URL (redis://, rediss://, or redis+cluster://host:port,… for a Redis Cluster), or `off` to use Kafka only. A password in it is never printed')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours on a terminal (NO_COLOR is honoured by auto)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Take unset options from this profile of the config file [default: the file''s `default`]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file [default: $XDG_CONFIG_HOME/dualstream/config.toml, else ~/.config/dualstream/config.toml]')
            [CompletionResult]::new('--from-beginning', '--from-beginning', [CompletionResultType]::ParameterName, 'Start at the first offset of each partition (the default)')
            [CompletionResult]::new('--from-end', '--from-end', [CompletionResultType]::ParameterName, 'Start at the end: only what arrives from now on (with --follow)')
            [CompletionResult]::new('--follow', '--follow', [CompletionResultType]::ParameterName, 'Keep reading past the end offsets, until Ctrl-C or --count')
            [CompletionResult]::new('--expect-once', '--expect-once', [CompletionResultType]::ParameterName, 'With --expect, an expectation met twice is a failure (exit 6)')
            [CompletionResult]::new('--to-redis', '--to-redis', [CompletionResultType]::ParameterName, 'Instead of printing, re-send each record''s notification to Redis as publish would (repairs subscribers after a Redis outage)')
            [CompletionResult]::new('--exactly-once', '--exactly-once', [CompletionResultType]::ParameterName, 'With --group and --to-topic: copy exactly once. The copies of each batch and the group''s offsets after it are committed in one Kafka transaction (read-committed readers of the target see every record once, also after a crash, a rebalance or a broker failure); a rerun fences the copy before it')
            [CompletionResult]::new('--envelope', '--envelope', [CompletionResultType]::ParameterName, 'Short for --format envelope')
            [CompletionResult]::new('--progress', '--progress', [CompletionResultType]::ParameterName, 'Show the progress bar even when stderr is not a terminal')
            [CompletionResult]::new('--sharded', '--sharded', [CompletionResultType]::ParameterName, 'Sharded Pub/Sub (Redis 7+): notify with SPUBLISH and tail with SSUBSCRIBE at each channel''s slot owner, so a Redis Cluster keeps each message in one shard. Channel names only, no globs')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr: -v for client logs and error causes, -vv for debug')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr: -v for client logs and error causes, -vv for debug')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'dualstream;topic' {
            [CompletionResult]::new('--brokers', '--brokers', [CompletionResultType]::ParameterName, 'Kafka bootstrap brokers, comma separated')
            [CompletionResult]::new('--topic', '--topic', [CompletionResultType]::ParameterName, 'Kafka topic')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'A librdkafka property, like kcat''s -X (repeatable); applied after -F')
            [CompletionResult]::new('-F', '-F ', [CompletionResultType]::ParameterName, 'A librdkafka properties file (key=value lines, # comments)')
            [CompletionResult]::new('--isolation', '--isolation', [CompletionResultType]::ParameterName, 'What readers (replay, tail --catch-up/--fill-gaps/--fetch) see of Kafka transactions: read_committed hands on only committed records, never aborted ones or transaction markers; read_uncommitted everything')
            [CompletionResult]::new('--redis', '--redis', [CompletionResultType]::ParameterName, 'Redis URL (redis://, rediss://, or redis+cluster://host:port,… for a Redis Cluster), or `off` to use Kafka only. A password in it is never printed')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours on a terminal (NO_COLOR is honoured by auto)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Take unset options from this profile of the config file [default: the file''s `default`]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file [default: $XDG_CONFIG_HOME/dualstream/config.toml, else ~/.config/dualstream/config.toml]')
            [CompletionResult]::new('--sharded', '--sharded', [CompletionResultType]::ParameterName, 'Sharded Pub/Sub (Redis 7+): notify with SPUBLISH and tail with SSUBSCRIBE at each channel''s slot owner, so a Redis Cluster keeps each message in one shard. Channel names only, no globs')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr: -v for client logs and error causes, -vv for debug')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr: -v for client logs and error causes, -vv for debug')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a topic; one that exists already with other settings is reported (exit 4)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'Every topic with its partitions, replication factor and messages (end − start offsets)')
            [CompletionResult]::new('describe', 'describe', [CompletionResultType]::ParameterValue, 'One topic''s partitions (leader, replicas, in-sync replicas, offsets) and configs')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a topic and every record in it (needs --yes)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'dualstream;topic;create' {
            [CompletionResult]::new('--partitions', '--partitions', [CompletionResultType]::ParameterName, 'Partitions [default: 3]')
            [CompletionResult]::new('--replication-factor', '--replication-factor', [CompletionResultType]::ParameterName, 'Replication factor [default: 3, or the number of brokers if fewer]')
            [CompletionResult]::new('--min-insync-replicas', '--min-insync-replicas', [CompletionResultType]::ParameterName, 'min.insync.replicas [default: replication factor − 1, at least 1]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long Kafka may take to answer (exit 4)')
            [CompletionResult]::new('--brokers', '--brokers', [CompletionResultType]::ParameterName, 'Kafka bootstrap brokers, comma separated')
            [CompletionResult]::new('--topic', '--topic', [CompletionResultType]::ParameterName, 'Kafka topic')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'A librdkafka property, like kcat''s -X (repeatable); applied after -F')
            [CompletionResult]::new('-F', '-F ', [CompletionResultType]::ParameterName, 'A librdkafka properties file (key=value lines, # comments)')
            [CompletionResult]::new('--isolation', '--isolation', [CompletionResultType]::ParameterName, 'What readers (replay, tail --catch-up/--fill-gaps/--fetch) see of Kafka transactions: read_committed hands on only committed records, never aborted ones or transaction markers; read_uncommitted everything')
            [CompletionResult]::new('--redis', '--redis', [CompletionResultType]::ParameterName, 'Redis URL (redis://, rediss://, or redis+cluster://host:port,… for a Redis Cluster), or `off` to use Kafka only. A password in it is never printed')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours on a terminal (NO_COLOR is honoured by auto)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Take unset options from this profile of the config file [default: the file''s `default`]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file [default: $XDG_CONFIG_HOME/dualstream/config.toml, else ~/.config/dualstream/config.toml]')
            [CompletionResult]::new('--sharded', '--sharded', [CompletionResultType]::ParameterName, 'Sharded Pub/Sub (Redis 7+): notify with SPUBLISH and tail with SSUBSCRIBE at each channel''s slot owner, so a Redis Cluster keeps each message in one shard. Channel names only, no globs')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr: -v for client logs and error causes, -vv for debug')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr: -v for client logs and error causes, -vv for debug')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'dualstream;topic;list' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table on a terminal, json (one object a line) on a pipe]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long Kafka may take to answer (exit 4)')
            [CompletionResult]::new('--brokers', '--brokers', [CompletionResultType]::ParameterName, 'Kafka bootstrap brokers, comma separated')
            [CompletionResult]::new('--topic', '--topic', [CompletionResultType]::ParameterName, 'Kafka topic')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'A librdkafka property, like kcat''s -X (repeatable); applied after -F')
            [CompletionResult]::new('-F', '-F ', [CompletionResultType]::ParameterName, 'A librdkafka properties file (key=value lines, # comments)')
            [CompletionResult]::new('--isolation', '--isolation', [CompletionResultType]::ParameterName, 'What readers (replay, tail --catch-up/--fill-gaps/--fetch) see of Kafka transactions: read_committed hands on only committed records, never aborted ones or transaction markers; read_uncommitted everything')
            [CompletionResult]::new('--redis', '--redis', [CompletionResultType]::ParameterName, 'Redis URL (redis://, rediss://, or redis+cluster://host:port,… for a Redis Cluster), or `off` to use Kafka only. A password in it is never printed')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours on a terminal (NO_COLOR is honoured by auto)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Take unset options from this profile of the config file [default: the file''s `default`]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file [default: $XDG_CONFIG_HOME/dualstream/config.toml, else ~/.config/dualstream/config.toml]')
            [CompletionResult]::new('--internal', '--internal', [CompletionResultType]::ParameterName, 'Also the internal topics (__consumer_offsets, …)')
            [CompletionResult]::new('--sharded', '--sharded', [CompletionResultType]::ParameterName, 'Sharded Pub/Sub (Redis 7+): notify with SPUBLISH and tail with SSUBSCRIBE at each channel''s slot owner, so a Redis Cluster keeps each message in one shard. Channel names only, no globs')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr: -v for client logs and error causes, -vv for debug')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr: -v for client logs and error causes, -vv for debug')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'dualstream;topic;describe' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table on a terminal, json on a pipe]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long Kafka may take to answer (exit 4)')
            [CompletionResult]::new('--brokers', '--brokers', [CompletionResultType]::ParameterName, 'Kafka bootstrap brokers, comma separated')
            [CompletionResult]::new('--topic', '--topic', [CompletionResultType]::ParameterName, 'Kafka topic')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'A librdkafka property, like kcat''s -X (repeatable); applied after -F')
            [CompletionResult]::new('-F', '-F ', [CompletionResultType]::ParameterName, 'A librdkafka properties file (key=value lines, # comments)')
            [CompletionResult]::new('--isolation', '--isolation', [CompletionResultType]::ParameterName, 'What readers (replay, tail --catch-up/--fill-gaps/--fetch) see of Kafka transactions: read_committed hands on only committed records, never aborted ones or transaction markers; read_uncommitted everything')
            [CompletionResult]::new('--redis', '--redis', [CompletionResultType]::ParameterName, 'Redis URL (redis://, rediss://, or redis+cluster://host:port,… for a Redis Cluster), or `off` to use Kafka only. A password in it is never printed')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours on a terminal (NO_COLOR is honoured by auto)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Take unset options from this profile of the config file [default: the file''s `default`]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file [default: $XDG_CONFIG_HOME/dualstream/config.toml, else ~/.config/dualstream/config.toml]')
            [CompletionResult]::new('--sharded', '--sharded', [CompletionResultType]::ParameterName, 'Sharded Pub/Sub (Redis 7+): notify with SPUBLISH and tail with SSUBSCRIBE at each channel''s slot owner, so a Redis Cluster keeps each message in one shard. Channel names only, no globs')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr: -v for client logs and error causes, -vv for debug')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr: -v for client logs and error causes, -vv for debug')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'dualstream;topic;delete' {
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long Kafka may take to answer (exit 4)')
            [CompletionResult]::new('--brokers', '--brokers', [CompletionResultType]::ParameterName, 'Kafka bootstrap brokers, comma separated')
            [CompletionResult]::new('--topic', '--topic', [CompletionResultType]::ParameterName, 'Kafka topic')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'A librdkafka property, like kcat''s -X (repeatable); applied after -F')
            [CompletionResult]::new('-F', '-F ', [CompletionResultType]::ParameterName, 'A librdkafka properties file (key=value lines, # comments)')
            [CompletionResult]::new('--isolation', '--isolation', [CompletionResultType]::ParameterName, 'What readers (replay, tail --catch-up/--fill-gaps/--fetch) see of Kafka transactions: read_committed hands on only committed records, never aborted ones or transaction markers; read_uncommitted everything')
            [CompletionResult]::new('--redis', '--redis', [CompletionResultType]::ParameterName, 'Redis URL (redis://, rediss://, or redis+cluster://host:port,… for a Redis Cluster), or `off` to use Kafka only. A password in it is never printed')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours on a terminal (NO_COLOR is honoured by auto)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Take unset options from this profile of the config file [default: the file''s `default`]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file [default: $XDG_CONFIG_HOME/dualstream/config.toml, else ~/.config/dualstream/config.toml]')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Really delete it, with every record in it')
            [CompletionResult]::new('--sharded', '--sharded', [CompletionResultType]::ParameterName, 'Sharded Pub/Sub (Redis 7+): notify with SPUBLISH and tail with SSUBSCRIBE at each channel''s slot owner, so a Redis Cluster keeps each message in one shard. Channel names only, no globs')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr: -v for client logs and error causes, -vv for debug')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr: -v for client logs and error causes, -vv for debug')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'dualstream;topic;help' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a topic; one that exists already with other settings is reported (exit 4)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'Every topic with its partitions, replication factor and messages (end − start offsets)')
            [CompletionResult]::new('describe', 'describe', [CompletionResultType]::ParameterValue, 'One topic''s partitions (leader, replicas, in-sync replicas, offsets) and configs')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a topic and every record in it (needs --yes)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'dualstream;topic;help;create' {
            break
        }
        'dualstream;topic;help;list' {
            break
        }
        'dualstream;topic;help;describe' {
            break
        }
        'dualstream;topic;help;delete' {
            break
        }
        'dualstream;topic;help;help' {
            break
        }
        'dualstream;profile' {
            [CompletionResult]::new('--brokers', '--brokers', [CompletionResultType]::ParameterName, 'Kafka bootstrap brokers, comma separated')
            [CompletionResult]::new('--topic', '--topic', [CompletionResultType]::ParameterName, 'Kafka topic')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'A librdkafka property, like kcat''s -X (repeatable); applied after -F')
            [CompletionResult]::new('-F', '-F ', [CompletionResultType]::ParameterName, 'A librdkafka properties file (key=value lines, # comments)')
            [CompletionResult]::new('--isolation', '--isolation', [CompletionResultType]::ParameterName, 'What readers (replay, tail --catch-up/--fill-gaps/--fetch) see of Kafka transactions: read_committed hands on only committed records, never aborted ones or transaction markers; read_uncommitted everything')
            [CompletionResult]::new('--redis', '--redis', [CompletionResultType]::ParameterName, 'Redis URL (redis://, rediss://, or redis+cluster://host:port,… for a Redis Cluster), or `off` to use Kafka only. A password in it is never printed')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours on a terminal (NO_COLOR is honoured by auto)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Take unset options from this profile of the config file [default: the file''s `default`]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file [default: $XDG_CONFIG_HOME/dualstream/config.toml, else ~/.config/dualstream/config.toml]')
            [CompletionResult]::new('--sharded', '--sharded', [CompletionResultType]::ParameterName, 'Sharded Pub/Sub (Redis 7+): notify with SPUBLISH and tail with SSUBSCRIBE at each channel''s slot owner, so a Redis Cluster keeps each message in one shard. Channel names only, no globs')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr: -v for client logs and error causes, -vv for debug')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr: -v for client logs and error causes, -vv for debug')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'Every profile of the config file: brokers, Redis, topic; the default marked')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Every setting of one profile, secrets masked')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'dualstream;profile;list' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--brokers', '--brokers', [CompletionResultType]::ParameterName, 'Kafka bootstrap brokers, comma separated')
            [CompletionResult]::new('--topic', '--topic', [CompletionResultType]::ParameterName, 'Kafka topic')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'A librdkafka property, like kcat''s -X (repeatable); applied after -F')
            [CompletionResult]::new('-F', '-F ', [CompletionResultType]::ParameterName, 'A librdkafka properties file (key=value lines, # comments)')
            [CompletionResult]::new('--isolation', '--isolation', [CompletionResultType]::ParameterName, 'What readers (replay, tail --catch-up/--fill-gaps/--fetch) see of Kafka transactions: read_committed hands on only committed records, never aborted ones or transaction markers; read_uncommitted everything')
            [CompletionResult]::new('--redis', '--redis', [CompletionResultType]::ParameterName, 'Redis URL (redis://, rediss://, or redis+cluster://host:port,… for a Redis Cluster), or `off` to use Kafka only. A password in it is never printed')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours on a terminal (NO_COLOR is honoured by auto)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Take unset options from this profile of the config file [default: the file''s `default`]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file [default: $XDG_CONFIG_HOME/dualstream/config.toml, else ~/.config/dualstream/config.toml]')
            [CompletionResult]::new('--sharded', '--sharded', [CompletionResultType]::ParameterName, 'Sharded Pub/Sub (Redis 7+): notify with SPUBLISH and tail with SSUBSCRIBE at each channel''s slot owner, so a Redis Cluster keeps each message in one shard. Channel names only, no globs')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr: -v for client logs and error causes, -vv for debug')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr: -v for client logs and error causes, -vv for debug')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'dualstream;profile;show' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--brokers', '--brokers', [CompletionResultType]::ParameterName, 'Kafka bootstrap brokers, comma separated')
            [CompletionResult]::new('--topic', '--topic', [CompletionResultType]::ParameterName, 'Kafka topic')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'A librdkafka property, like kcat''s -X (repeatable); applied after -F')
            [CompletionResult]::new('-F', '-F ', [CompletionResultType]::ParameterName, 'A librdkafka properties file (key=value lines, # comments)')
            [CompletionResult]::new('--isolation', '--isolation', [CompletionResultType]::ParameterName, 'What readers (replay, tail --catch-up/--fill-gaps/--fetch) see of Kafka transactions: read_committed hands on only committed records, never aborted ones or transaction markers; read_uncommitted everything')
            [CompletionResult]::new('--redis', '--redis', [CompletionResultType]::ParameterName, 'Redis URL (redis://, rediss://, or redis+cluster://host:port,… for a Redis Cluster), or `off` to use Kafka only. A password in it is never printed')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours on a terminal (NO_COLOR is honoured by auto)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Take unset options from this profile of the config file [default: the file''s `default`]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file [default: $XDG_CONFIG_HOME/dualstream/config.toml, else ~/.config/dualstream/config.toml]')
            [CompletionResult]::new('--sharded', '--sharded', [CompletionResultType]::ParameterName, 'Sharded Pub/Sub (Redis 7+): notify with SPUBLISH and tail with SSUBSCRIBE at each channel''s slot owner, so a Redis Cluster keeps each message in one shard. Channel names only, no globs')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr: -v for client logs and error causes, -vv for debug')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr: -v for client logs and error causes, -vv for debug')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'dualstream;profile;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'Every profile of the config file: brokers, Redis, topic; the default marked')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Every setting of one profile, secrets masked')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'dualstream;profile;help;list' {
            break
        }
        'dualstream;profile;help;show' {
            break
        }
        'dualstream;profile;help;help' {
            break
        }
        'dualstream;completions' {
            [CompletionResult]::new('--brokers', '--brokers', [CompletionResultType]::ParameterName, 'Kafka bootstrap brokers, comma separated')
            [CompletionResult]::new('--topic', '--topic', [CompletionResultType]::ParameterName, 'Kafka topic')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'A librdkafka property, like kcat''s -X (repeatable); applied after -F')
            [CompletionResult]::new('-F', '-F ', [CompletionResultType]::ParameterName, 'A librdkafka properties file (key=value lines, # comments)')
            [CompletionResult]::new('--isolation', '--isolation', [CompletionResultType]::ParameterName, 'What readers (replay, tail --catch-up/--fill-gaps/--fetch) see of Kafka transactions: read_committed hands on only committed records, never aborted ones or transaction markers; read_uncommitted everything')
            [CompletionResult]::new('--redis', '--redis', [CompletionResultType]::ParameterName, 'Redis URL (redis://, rediss://, or redis+cluster://host:port,… for a Redis Cluster), or `off` to use Kafka only. A password in it is never printed')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours on a terminal (NO_COLOR is honoured by auto)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Take unset options from this profile of the config file [default: the file''s `default`]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file [default: $XDG_CONFIG_HOME/dualstream/config.toml, else ~/.config/dualstream/config.toml]')
            [CompletionResult]::new('--sharded', '--sharded', [CompletionResultType]::ParameterName, 'Sharded Pub/Sub (Redis 7+): notify with SPUBLISH and tail with SSUBSCRIBE at each channel''s slot owner, so a Redis Cluster keeps each message in one shard. Channel names only, no globs')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr: -v for client logs and error causes, -vv for debug')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr: -v for client logs and error causes, -vv for debug')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'dualstream;man' {
            [CompletionResult]::new('--out-dir', '--out-dir', [CompletionResultType]::ParameterName, 'Write dualstream.1 and one page per subcommand into this directory')
            [CompletionResult]::new('--brokers', '--brokers', [CompletionResultType]::ParameterName, 'Kafka bootstrap brokers, comma separated')
            [CompletionResult]::new('--topic', '--topic', [CompletionResultType]::ParameterName, 'Kafka topic')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'A librdkafka property, like kcat''s -X (repeatable); applied after -F')
            [CompletionResult]::new('-F', '-F ', [CompletionResultType]::ParameterName, 'A librdkafka properties file (key=value lines, # comments)')
            [CompletionResult]::new('--isolation', '--isolation', [CompletionResultType]::ParameterName, 'What readers (replay, tail --catch-up/--fill-gaps/--fetch) see of Kafka transactions: read_committed hands on only committed records, never aborted ones or transaction markers; read_uncommitted everything')
            [CompletionResult]::new('--redis', '--redis', [CompletionResultType]::ParameterName, 'Redis URL (redis://, rediss://, or redis+cluster://host:port,… for a Redis Cluster), or `off` to use Kafka only. A password in it is never printed')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours on a terminal (NO_COLOR is honoured by auto)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Take unset options from this profile of the config file [default: the file''s `default`]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file [default: $XDG_CONFIG_HOME/dualstream/config.toml, else ~/.config/dualstream/config.toml]')
            [CompletionResult]::new('--sharded', '--sharded', [CompletionResultType]::ParameterName, 'Sharded Pub/Sub (Redis 7+): notify with SPUBLISH and tail with SSUBSCRIBE at each channel''s slot owner, so a Redis Cluster keeps each message in one shard. Channel names only, no globs')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr: -v for client logs and error causes, -vv for debug')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr: -v for client logs and error causes, -vv for debug')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'dualstream;help' {
            [CompletionResult]::new('publish', 'publish', [CompletionResultType]::ParameterValue, 'Publish NDJSON or CSV events to Kafka, then notify Redis')
            [CompletionResult]::new('tail', 'tail', [CompletionResultType]::ParameterValue, 'Follow Redis channels by glob (PSUBSCRIBE) or by name (SUBSCRIBE)')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Serve live events to browsers and services over Server-Sent Events and WebSocket, resuming from Kafka with no gap and no duplicate')
            [CompletionResult]::new('health', 'health', [CompletionResultType]::ParameterValue, 'Check Kafka and Redis: brokers, partitions, lag, Redis state, and an end-to-end probe')
            [CompletionResult]::new('replay', 'replay', [CompletionResultType]::ParameterValue, 'Read a Kafka topic from an offset or a time, up to the end offsets taken at start')
            [CompletionResult]::new('topic', 'topic', [CompletionResultType]::ParameterValue, 'Create, list, describe and delete Kafka topics')
            [CompletionResult]::new('profile', 'profile', [CompletionResultType]::ParameterValue, 'List and show the named profiles of the config file (secrets masked)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the man page (roff), or write every page into a directory')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'dualstream;help;publish' {
            break
        }
        'dualstream;help;tail' {
            break
        }
        'dualstream;help;serve' {
            break
        }
        'dualstream;help;health' {
            break
        }
        'dualstream;help;replay' {
            break
        }
        'dualstream;help;topic' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a topic; one that exists already with other settings is reported (exit 4)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'Every topic with its partitions, replication factor and messages (end − start offsets)')
            [CompletionResult]::new('describe', 'describe', [CompletionResultType]::ParameterValue, 'One topic''s partitions (leader, replicas, in-sync replicas, offsets) and configs')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a topic and every record in it (needs --yes)')
            break
        }
        'dualstream;help;topic;create' {
            break
        }
        'dualstream;help;topic;list' {
            break
        }
        'dualstream;help;topic;describe' {
            break
        }
        'dualstream;help;topic;delete' {
            break
        }
        'dualstream;help;profile' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'Every profile of the config file: brokers, Redis, topic; the default marked')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Every setting of one profile, secrets masked')
            break
        }
        'dualstream;help;profile;list' {
            break
        }
        'dualstream;help;profile;show' {
            break
        }
        'dualstream;help;completions' {
            break
        }
        'dualstream;help;man' {
            break
        }
        'dualstream;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
