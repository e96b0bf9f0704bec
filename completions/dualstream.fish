# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_dualstream_global_optspecs
    string join \n brokers= topic= X= F= isolation= redis= sharded q/quiet v/verbose color= profile= config= h/help V/version
end

function __fish_dualstream_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_dualstream_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_dualstream_using_subcommand
    set -l cmd (__fish_dualstream_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c dualstream -n "__fish_dualstream_needs_command" -l brokers -d 'Kafka bootstrap brokers, comma separated' -r
complete -c dualstream -n "__fish_dualstream_needs_command" -l topic -d 'Kafka topic' -r
complete -c dualstream -n "__fish_dualstream_needs_command" -s X -d 'A librdkafka property, like kcat\'s -X (repeatable); applied after -F' -r
complete -c dualstream -n "__fish_dualstream_needs_command" -s F -d 'A librdkafka properties file (key=value lines, # comments)' -r -F
complete -c dualstream -n "__fish_dualstream_needs_command" -l isolation -d 'What readers (replay, tail --catch-up/--fill-gaps/--fetch) see of Kafka transactions: read_committed hands on only committed records, never aborted ones or transaction markers; read_uncommitted everything' -r -f -a "read_committed\t'Only committed transactions (and records written outside any)'
read_uncommitted\t'Everything, records of aborted and open transactions too'"
complete -c dualstream -n "__fish_dualstream_needs_command" -l redis -d 'Redis URL (redis://, rediss://, or redis+cluster://host:port,… for a Redis Cluster), or `off` to use Kafka only. A password in it is never printed' -r
complete -c dualstream -n "__fish_dualstream_needs_command" -l color -d 'When to use colours on a terminal (NO_COLOR is honoured by auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c dualstream -n "__fish_dualstream_needs_command" -l profile -d 'Take unset options from this profile of the config file [default: the file\'s `default`]' -r
complete -c dualstream -n "__fish_dualstream_needs_command" -l config -d 'The config file [default: $XDG_CONFIG_HOME/dualstream/config.toml, else ~/.config/dualstream/config.toml]' -r -F
complete -c dualstream -n "__fish_dualstream_needs_command" -l sharded -d 'Sharded Pub/Sub (Redis 7+): notify with SPUBLISH and tail with SSUBSCRIBE at each channel\'s slot owner, so a Redis Cluster keeps each message in one shard. Channel names only, no globs'
complete -c dualstream -n "__fish_dualstream_needs_command" -s q -l quiet -d 'Print only errors'
complete -c dualstream -n "__fish_dualstream_needs_command" -s v -l verbose -d 'More detail on stderr: -v for client logs and error causes, -vv for debug'
complete -c dualstream -n "__fish_dualstream_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c dualstream -n "__fish_dualstream_needs_command" -s V -l version -d 'Print version'
complete -c dualstream -n "__fish_dualstream_needs_command" -f -a "publish" -d 'Publish NDJSON or CSV events to Kafka, then notify Redis'
complete -c dualstream -n "__fish_dualstream_needs_command" -f -a "tail" -d 'Follow Redis channels by glob (PSUBSCRIBE) or by name (SUBSCRIBE)'
complete -c dualstream -n "__fish_dualstream_needs_command" -f -a "serve" -d 'Serve live events to browsers and services over Server-Sent Events and WebSocket, resuming from Kafka with no gap and no duplicate'
complete -c dualstream -n "__fish_dualstream_needs_command" -f -a "health" -d 'Check Kafka and Redis: brokers, partitions, lag, Redis state, and an end-to-end probe'
complete -c dualstream -n "__fish_dualstream_needs_command" -f -a "replay" -d 'Read a Kafka topic from an offset or a time, up to the end offsets taken at start'
complete -c dualstream -n "__fish_dualstream_needs_command" -f -a "topic" -d 'Create, list, describe and delete Kafka topics'
complete -c dualstream -n "__fish_dualstream_needs_command" -f -a "profile" -d 'List and show the named profiles of the config file (secrets masked)'
complete -c dualstream -n "__fish_dualstream_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c dualstream -n "__fish_dualstream_needs_command" -f -a "man" -d 'Print the man page (roff), or write every page into a directory'
complete -c dualstream -n "__fish_dualstream_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c dualstream -n "__fish_dualstream_using_subcommand publish" -l format -d 'Input format [default: by extension (.csv is CSV), else NDJSON]' -r -f -a "ndjson\t''
csv\t''"
complete -c dualstream -n "__fish_dualstream_using_subcommand publish" -l max-line-bytes -d 'Longest accepted line (NDJSON) or record (CSV): bytes, or with a unit (64KiB, 1MiB, 1MB = 10^6)' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand publish" -l skip-lines -d 'Skip lines 1..=N of the first input (a rerun from "resume from FILE:N+1"): read, not published. Positions keep counting from the top; a CSV header is read all the same, and a record starting on a skipped line is skipped whole. Later inputs are read whole' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand publish" -l id-field -d 'Field holding the event id (dotted path); absent ids are derived from the content' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand publish" -l type-field -d 'Field holding the event type (dotted path)' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand publish" -l type -d 'A constant event type for every event, instead of --type-field' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand publish" -l source-type-field -d 'Field holding the source type (dotted path)' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand publish" -l source-type -d 'A constant source type for every event, instead of --source-type-field' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand publish" -l source-id-field -d 'Field holding the source id, the Kafka key (dotted path, e.g. repo.name)' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand publish" -l source-id -d 'A constant source id for every event, instead of --source-id-field' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand publish" -l time-field -d 'Field holding the event time (RFC 3339 or epoch ms); the Kafka timestamp, else now' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand publish" -l on-invalid -d 'What to do with an invalid line: fail (exit 3), skip, or dead-letter=FILE' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand publish" -l channel -d 'Redis channel template; placeholders {source_type} {source_id} {type} {id} {topic}; {{ and }} for literal braces (a Redis Cluster hash tag)' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand publish" -l timeout -d 'How long Kafka may take to connect or to acknowledge an event before the run fails (exit 4)' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand publish" -l max-in-flight -d 'Most events sent to Kafka and not yet acknowledged; fewer while acknowledgements are slow (the window follows their latency)' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand publish" -l compression -d 'Compress record batches (librdkafka\'s compression.codec). Tansu 0.6 stores snappy batches but cannot serve them back: use another codec with it' -r -f -a "none\t''
gzip\t''
snappy\t''
lz4\t''
zstd\t''"
complete -c dualstream -n "__fish_dualstream_using_subcommand publish" -l redis-batch -d 'Most notifications in one Redis pipeline' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand publish" -l partitions -d 'Partitions for --create-topic [default: 3]; an existing topic with another count is reported' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand publish" -l replication-factor -d 'Replication factor for --create-topic [default: 3, or the number of brokers if fewer]' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand publish" -l min-insync-replicas -d 'min.insync.replicas for --create-topic [default: replication factor − 1, at least 1]' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand publish" -l summary -d 'End-of-run summary on stderr: auto, table, json or none [auto: a table on a terminal, nothing on a pipe]; json=FILE also writes the JSON summary to FILE, apart from any warning (repeatable)' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand publish" -l brokers -d 'Kafka bootstrap brokers, comma separated' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand publish" -l topic -d 'Kafka topic' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand publish" -s X -d 'A librdkafka property, like kcat\'s -X (repeatable); applied after -F' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand publish" -s F -d 'A librdkafka properties file (key=value lines, # comments)' -r -F
complete -c dualstream -n "__fish_dualstream_using_subcommand publish" -l isolation -d 'What readers (replay, tail --catch-up/--fill-gaps/--fetch) see of Kafka transactions: read_committed hands on only committed records, never aborted ones or transaction markers; read_uncommitted everything' -r -f -a "read_committed\t'Only committed transactions (and records written outside any)'
read_uncommitted\t'Everything, records of aborted and open transactions too'"
complete -c dualstream -n "__fish_dualstream_using_subcommand publish" -l redis -d 'Redis URL (redis://, rediss://, or redis+cluster://host:port,… for a Redis Cluster), or `off` to use Kafka only. A password in it is never printed' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand publish" -l color -d 'When to use colours on a terminal (NO_COLOR is honoured by auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c dualstream -n "__fish_dualstream_using_subcommand publish" -l profile -d 'Take unset options from this profile of the config file [default: the file\'s `default`]' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand publish" -l config -d 'The config file [default: $XDG_CONFIG_HOME/dualstream/config.toml, else ~/.config/dualstream/config.toml]' -r -F
complete -c dualstream -n "__fish_dualstream_using_subcommand publish" -l dry-run -d 'Validate and print what would be sent, without connecting to anything'
complete -c dualstream -n "__fish_dualstream_using_subcommand publish" -l redis-required -d 'Exit 5 when any notification failed on Redis (the events are in Kafka all the same; the failed ones are named with the replay that re-sends them)'
complete -c dualstream -n "__fish_dualstream_using_subcommand publish" -l no-headers -d 'Send no id/type/source_type headers. Brokers that store each header as a row (Tansu with sqlite) take events about three times faster without them'
complete -c dualstream -n "__fish_dualstream_using_subcommand publish" -l create-topic -d 'Create the topic through the admin API when it does not exist'
complete -c dualstream -n "__fish_dualstream_using_subcommand publish" -l progress -d 'Show the progress bar even when stderr is not a terminal'
complete -c dualstream -n "__fish_dualstream_using_subcommand publish" -l sharded -d 'Sharded Pub/Sub (Redis 7+): notify with SPUBLISH and tail with SSUBSCRIBE at each channel\'s slot owner, so a Redis Cluster keeps each message in one shard. Channel names only, no globs'
complete -c dualstream -n "__fish_dualstream_using_subcommand publish" -s q -l quiet -d 'Print only errors'
complete -c dualstream -n "__fish_dualstream_using_subcommand publish" -s v -l verbose -d 'More detail on stderr: -v for client logs and error causes, -vv for debug'
complete -c dualstream -n "__fish_dualstream_using_subcommand publish" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c dualstream -n "__fish_dualstream_using_subcommand publish" -s V -l version -d 'Print version'
complete -c dualstream -n "__fish_dualstream_using_subcommand tail" -l queue -d 'Messages held between Redis and the output; past this, messages are dropped and counted' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand tail" -l catch-up -d 'First print the events of this window from Kafka (--topic), then go on live without a gap or a duplicate at the seam: a duration ago (10m, 2d) or a time (RFC 3339, 2026-12-01 10:00:00 in UTC, epoch ms)' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand tail" -l channel -d 'Channel template of the publisher, to match Kafka events to PATTERNs in --catch-up' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand tail" -l count -d 'Exit 0 after N messages' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand tail" -l timeout -d 'Stop after this long; with --count, exit 124 if fewer than N arrived' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand tail" -l expect -d 'Wait for the events in FILE (one a line: an id, or a JSON object of field values such as {"type":"order.created","source_id":"o-17"}): exit 0 once every one arrived, 124 at --timeout naming those that did not' -r -F
complete -c dualstream -n "__fish_dualstream_using_subcommand tail" -l filter -d 'Print (and count for --count) only messages whose field has one of the values: type, source_type, source_id, id, or a dotted path into the notification (with --fetch, into the event)' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand tail" -l format -d 'Output format, or a template such as \'{channel} {payload.id}\' [default: pretty on a terminal, json on a pipe]' -r -f -a "pretty\t'Time, channel and compact payload, for people'
json\t'One object a line: received_at, channel, pattern, payload'
csv\t'RFC 4180 CSV with a header row'
tsv\t'Tab-separated values with a header row'
raw\t'The payload only, one a line'"
complete -c dualstream -n "__fish_dualstream_using_subcommand tail" -l fields -d 'The columns of csv or tsv output (implies csv), each a placeholder of --format without braces: received_at,channel,payload.id' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand tail" -l summary -d 'End-of-run summary on stderr: auto, table, json or none [auto: a table on a terminal with --expect]; json=FILE also writes the JSON summary to FILE, apart from any warning; junit=FILE the expectations as a JUnit report (repeatable)' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand tail" -l brokers -d 'Kafka bootstrap brokers, comma separated' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand tail" -l topic -d 'Kafka topic' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand tail" -s X -d 'A librdkafka property, like kcat\'s -X (repeatable); applied after -F' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand tail" -s F -d 'A librdkafka properties file (key=value lines, # comments)' -r -F
complete -c dualstream -n "__fish_dualstream_using_subcommand tail" -l isolation -d 'What readers (replay, tail --catch-up/--fill-gaps/--fetch) see of Kafka transactions: read_committed hands on only committed records, never aborted ones or transaction markers; read_uncommitted everything' -r -f -a "read_committed\t'Only committed transactions (and records written outside any)'
read_uncommitted\t'Everything, records of aborted and open transactions too'"
complete -c dualstream -n "__fish_dualstream_using_subcommand tail" -l redis -d 'Redis URL (redis://, rediss://, or redis+cluster://host:port,… for a Redis Cluster), or `off` to use Kafka only. A password in it is never printed' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand tail" -l color -d 'When to use colours on a terminal (NO_COLOR is honoured by auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c dualstream -n "__fish_dualstream_using_subcommand tail" -l profile -d 'Take unset options from this profile of the config file [default: the file\'s `default`]' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand tail" -l config -d 'The config file [default: $XDG_CONFIG_HOME/dualstream/config.toml, else ~/.config/dualstream/config.toml]' -r -F
complete -c dualstream -n "__fish_dualstream_using_subcommand tail" -l literal -d 'Subscribe to every PATTERN as a literal channel name, glob characters included'
complete -c dualstream -n "__fish_dualstream_using_subcommand tail" -l expect-once -d 'With --expect, an expectation met twice is a failure (exit 6)'
complete -c dualstream -n "__fish_dualstream_using_subcommand tail" -l fill-gaps -d 'Fill every gap in the live stream (a reconnect, messages dropped past --queue) from Kafka (--topic), with the seam of --catch-up: each event printed once [default: on with --catch-up]'
complete -c dualstream -n "__fish_dualstream_using_subcommand tail" -l no-fill-gaps -d 'Report gaps without filling them, also with --catch-up'
complete -c dualstream -n "__fish_dualstream_using_subcommand tail" -l fetch -d 'Print the full event from Kafka (at the notification\'s topic/partition/offset) for each notification'
complete -c dualstream -n "__fish_dualstream_using_subcommand tail" -l sharded -d 'Sharded Pub/Sub (Redis 7+): notify with SPUBLISH and tail with SSUBSCRIBE at each channel\'s slot owner, so a Redis Cluster keeps each message in one shard. Channel names only, no globs'
complete -c dualstream -n "__fish_dualstream_using_subcommand tail" -s q -l quiet -d 'Print only errors'
complete -c dualstream -n "__fish_dualstream_using_subcommand tail" -s v -l verbose -d 'More detail on stderr: -v for client logs and error causes, -vv for debug'
complete -c dualstream -n "__fish_dualstream_using_subcommand tail" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c dualstream -n "__fish_dualstream_using_subcommand tail" -s V -l version -d 'Print version'
complete -c dualstream -n "__fish_dualstream_using_subcommand serve" -l listen -d 'Address to listen on; any but a loopback address needs --auth or --no-auth' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand serve" -l auth -d 'Require a JWT signed with this algorithm on every stream (Authorization: Bearer, the access_token cookie, or ?access_token=); its `channels` claim lists the patterns the client may read, `exp` is required and checked' -r -f -a "hs256\t'HMAC-SHA256 with a shared secret (--auth-secret-file, or DUALSTREAM_AUTH_SECRET)'
rs256\t'RSA signatures, checked with the PEM public key of --auth-public-key'
eddsa\t'Ed25519 signatures, checked with the PEM public key of --auth-public-key'"
complete -c dualstream -n "__fish_dualstream_using_subcommand serve" -l auth-secret-file -d 'File holding the --auth hs256 secret (the whole file, a trailing newline dropped); else the DUALSTREAM_AUTH_SECRET environment variable' -r -F
complete -c dualstream -n "__fish_dualstream_using_subcommand serve" -l auth-public-key -d 'PEM file with the public key for --auth rs256 or eddsa' -r -F
complete -c dualstream -n "__fish_dualstream_using_subcommand serve" -l auth-audience -d 'The `aud` a token must carry (repeatable: any one of them)' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand serve" -l auth-issuer -d 'The `iss` a token must carry (repeatable: any one of them)' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand serve" -l allow-origin -d 'An origin whose pages may read the streams (exact, as https://app.example.com; repeatable); `*` lets any page read, without cookies or credentials' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand serve" -l tls-cert -d 'PEM certificate chain to serve HTTPS and WSS with (needs --tls-key)' -r -F
complete -c dualstream -n "__fish_dualstream_using_subcommand serve" -l tls-key -d 'PEM private key of --tls-cert' -r -F
complete -c dualstream -n "__fish_dualstream_using_subcommand serve" -l channel -d 'Channel template of the publisher, to match Kafka events to PATTERNs when a client resumes' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand serve" -l client-queue -d 'Bytes queued for one client (1048576, 512KiB, 4MiB); past it the client\'s stream ends with an overflow event and the client resumes from Kafka' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand serve" -l max-clients -d 'Clients served at once; past it a new client gets 503' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand serve" -l heartbeat -d 'A heartbeat (an SSE comment, a WebSocket ping) after this long without an event' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand serve" -l retry -d 'How long an SSE client waits before it reconnects (the `retry:` field)' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand serve" -l header-timeout -d 'How long a connection may take to send its request headers' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand serve" -l queue -d 'Messages held between Redis and the fan-out; past this, clients are sent to resume' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand serve" -l brokers -d 'Kafka bootstrap brokers, comma separated' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand serve" -l topic -d 'Kafka topic' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand serve" -s X -d 'A librdkafka property, like kcat\'s -X (repeatable); applied after -F' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand serve" -s F -d 'A librdkafka properties file (key=value lines, # comments)' -r -F
complete -c dualstream -n "__fish_dualstream_using_subcommand serve" -l isolation -d 'What readers (replay, tail --catch-up/--fill-gaps/--fetch) see of Kafka transactions: read_committed hands on only committed records, never aborted ones or transaction markers; read_uncommitted everything' -r -f -a "read_committed\t'Only committed transactions (and records written outside any)'
read_uncommitted\t'Everything, records of aborted and open transactions too'"
complete -c dualstream -n "__fish_dualstream_using_subcommand serve" -l redis -d 'Redis URL (redis://, rediss://, or redis+cluster://host:port,… for a Redis Cluster), or `off` to use Kafka only. A password in it is never printed' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand serve" -l color -d 'When to use colours on a terminal (NO_COLOR is honoured by auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c dualstream -n "__fish_dualstream_using_subcommand serve" -l profile -d 'Take unset options from this profile of the config file [default: the file\'s `default`]' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand serve" -l config -d 'The config file [default: $XDG_CONFIG_HOME/dualstream/config.toml, else ~/.config/dualstream/config.toml]' -r -F
complete -c dualstream -n "__fish_dualstream_using_subcommand serve" -l literal -d 'Subscribe to every PATTERN as a literal channel name, glob characters included'
complete -c dualstream -n "__fish_dualstream_using_subcommand serve" -l no-auth -d 'Serve a non-loopback --listen address without authentication: anyone who reaches it reads every event'
complete -c dualstream -n "__fish_dualstream_using_subcommand serve" -l sharded -d 'Sharded Pub/Sub (Redis 7+): notify with SPUBLISH and tail with SSUBSCRIBE at each channel\'s slot owner, so a Redis Cluster keeps each message in one shard. Channel names only, no globs'
complete -c dualstream -n "__fish_dualstream_using_subcommand serve" -s q -l quiet -d 'Print only errors'
complete -c dualstream -n "__fish_dualstream_using_subcommand serve" -s v -l verbose -d 'More detail on stderr: -v for client logs and error causes, -vv for debug'
complete -c dualstream -n "__fish_dualstream_using_subcommand serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c dualstream -n "__fish_dualstream_using_subcommand serve" -s V -l version -d 'Print version'
complete -c dualstream -n "__fish_dualstream_using_subcommand health" -l group -d 'Report this consumer group\'s committed offsets and lag on --topic' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand health" -l max-lag -d 'Degraded (exit 6) when the group\'s total lag is over N' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand health" -l max-latency -d 'Degraded (exit 6) when the probe takes longer than this end to end' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand health" -l channel -d 'Channels whose subscriber counts to report (PUBSUB NUMSUB; with --sharded, SHARDNUMSUB at each channel\'s slot owner); repeatable' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand health" -l format -d 'Report format' -r -f -a "table\t''
json\t''"
complete -c dualstream -n "__fish_dualstream_using_subcommand health" -l timeout -d 'Bound on the whole check; an unreachable broker never hangs it longer' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand health" -l brokers -d 'Kafka bootstrap brokers, comma separated' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand health" -l topic -d 'Kafka topic' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand health" -s X -d 'A librdkafka property, like kcat\'s -X (repeatable); applied after -F' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand health" -s F -d 'A librdkafka properties file (key=value lines, # comments)' -r -F
complete -c dualstream -n "__fish_dualstream_using_subcommand health" -l isolation -d 'What readers (replay, tail --catch-up/--fill-gaps/--fetch) see of Kafka transactions: read_committed hands on only committed records, never aborted ones or transaction markers; read_uncommitted everything' -r -f -a "read_committed\t'Only committed transactions (and records written outside any)'
read_uncommitted\t'Everything, records of aborted and open transactions too'"
complete -c dualstream -n "__fish_dualstream_using_subcommand health" -l redis -d 'Redis URL (redis://, rediss://, or redis+cluster://host:port,… for a Redis Cluster), or `off` to use Kafka only. A password in it is never printed' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand health" -l color -d 'When to use colours on a terminal (NO_COLOR is honoured by auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c dualstream -n "__fish_dualstream_using_subcommand health" -l profile -d 'Take unset options from this profile of the config file [default: the file\'s `default`]' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand health" -l config -d 'The config file [default: $XDG_CONFIG_HOME/dualstream/config.toml, else ~/.config/dualstream/config.toml]' -r -F
complete -c dualstream -n "__fish_dualstream_using_subcommand health" -l probe -d 'Send one real event through the whole path (Kafka produce and ack, Redis publish and receive) and time each step'
complete -c dualstream -n "__fish_dualstream_using_subcommand health" -l sharded -d 'Sharded Pub/Sub (Redis 7+): notify with SPUBLISH and tail with SSUBSCRIBE at each channel\'s slot owner, so a Redis Cluster keeps each message in one shard. Channel names only, no globs'
complete -c dualstream -n "__fish_dualstream_using_subcommand health" -s q -l quiet -d 'Print only errors'
complete -c dualstream -n "__fish_dualstream_using_subcommand health" -s v -l verbose -d 'More detail on stderr: -v for client logs and error causes, -vv for debug'
complete -c dualstream -n "__fish_dualstream_using_subcommand health" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c dualstream -n "__fish_dualstream_using_subcommand health" -s V -l version -d 'Print version'
complete -c dualstream -n "__fish_dualstream_using_subcommand replay" -l from-offset -d 'Start at offset N in each partition; negative: N before the end' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand replay" -l from-time -d 'Start at the first record at or after TIME: RFC 3339, a date (2026-12-01) or date and time (2026-12-01 10:00:00) in UTC unless an offset follows, epoch ms, or a duration ago (30m, 2d)' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand replay" -l last -d 'The newest N records across all partitions, merged by timestamp and printed oldest first (with --filter: the newest N that match; with --follow: then go on live)' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand replay" -l group -d 'Read as a member of consumer group G and commit what was processed: several `replay --group G` split the partitions, and a rerun resumes where the last one stopped. Partitions the group never committed start at the beginning (or --from-end)' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand replay" -l to-offset -d 'Stop before offset N in each partition' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand replay" -l count -d 'Stop after N records in all' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand replay" -l to-time -d 'Stop each partition at its first record at or after TIME, in the forms of --from-time' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand replay" -l wait -d 'With --follow, stop after this long: exit 124 if --count records (or every --expect expectation) had not arrived by then' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand replay" -l expect -d 'Wait for the events in FILE (one a line: an id, or a JSON object of field values): stop with 0 once every one was read, 124 at the end (or at --wait with --follow) naming those that were not' -r -F
complete -c dualstream -n "__fish_dualstream_using_subcommand replay" -l partition -d 'Only these partitions' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand replay" -l filter -d 'Only records whose field has one of the values: type, source_type, source_id, id (read from headers and key, else from the value), or a dotted path into the value' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand replay" -l channel -d 'Channel template for --to-redis' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand replay" -l rate -d 'With --to-redis, send at most N notifications a second (500 or 500/s)' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand replay" -l to-topic -d 'Instead of printing, copy the records to this topic, keeping key, headers and timestamp (acks=all, idempotent; exit 4 if any copy is not acknowledged)' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand replay" -l txn-records -d 'With --exactly-once, commit a transaction after this many records at most' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand replay" -l txn-interval -d 'With --exactly-once, commit a transaction after it has been open this long at most (what read-committed readers of the target wait for a copy, at the most)' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand replay" -l transactional-id -d 'With --exactly-once, the producer\'s transactional id [default: dualstream-replay:G:TOPIC]. A copy starting with the id of a running one fences it: give each concurrent member of the group its own (stable across reruns)' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand replay" -l max-in-flight -d 'With --to-topic, most copies sent and not yet acknowledged' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand replay" -l compression -d 'With --to-topic, compress the copies\' record batches (librdkafka\'s compression.codec). Tansu 0.6 stores snappy batches but cannot serve them back: use another codec with it' -r -f -a "none\t''
gzip\t''
snappy\t''
lz4\t''
zstd\t''"
complete -c dualstream -n "__fish_dualstream_using_subcommand replay" -l format -d 'What to print, or a template such as \'{partition}@{offset} {key} {value.type}\' [default: pretty on a terminal, ndjson on a pipe]' -r -f -a "pretty\t'Time, partition@offset, key and the value on one line, for people'
ndjson\t'Each value, byte for byte'
envelope\t'JSON with partition, offset, timestamp, key, headers, value'
csv\t'RFC 4180 CSV with a header row'
tsv\t'Tab-separated values with a header row'"
complete -c dualstream -n "__fish_dualstream_using_subcommand replay" -l fields -d 'The columns of csv or tsv output (implies csv), each a placeholder of --format without braces: partition,offset,key,value.type' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand replay" -l summary -d 'End-of-run summary per partition on stderr: auto, table, json or none [auto: a table on a terminal, nothing on a pipe]; json=FILE also writes the JSON summary to FILE, apart from any warning; junit=FILE the expectations of --expect as a JUnit report (repeatable)' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand replay" -l timeout -d 'How long Kafka may take to answer before the run fails (exit 4)' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand replay" -l brokers -d 'Kafka bootstrap brokers, comma separated' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand replay" -l topic -d 'Kafka topic' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand replay" -s X -d 'A librdkafka property, like kcat\'s -X (repeatable); applied after -F' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand replay" -s F -d 'A librdkafka properties file (key=value lines, # comments)' -r -F
complete -c dualstream -n "__fish_dualstream_using_subcommand replay" -l isolation -d 'What readers (replay, tail --catch-up/--fill-gaps/--fetch) see of Kafka transactions: read_committed hands on only committed records, never aborted ones or transaction markers; read_uncommitted everything' -r -f -a "read_committed\t'Only committed transactions (and records written outside any)'
read_uncommitted\t'Everything, records of aborted and open transactions too'"
complete -c dualstream -n "__fish_dualstream_using_subcommand replay" -l redis -d 'Redis URL (redis://, rediss://, or redis+cluster://host:port,… for a Redis Cluster), or `off` to use Kafka only. A password in it is never printed' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand replay" -l color -d 'When to use colours on a terminal (NO_COLOR is honoured by auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c dualstream -n "__fish_dualstream_using_subcommand replay" -l profile -d 'Take unset options from this profile of the config file [default: the file\'s `default`]' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand replay" -l config -d 'The config file [default: $XDG_CONFIG_HOME/dualstream/config.toml, else ~/.config/dualstream/config.toml]' -r -F
complete -c dualstream -n "__fish_dualstream_using_subcommand replay" -l from-beginning -d 'Start at the first offset of each partition (the default)'
complete -c dualstream -n "__fish_dualstream_using_subcommand replay" -l from-end -d 'Start at the end: only what arrives from now on (with --follow)'
complete -c dualstream -n "__fish_dualstream_using_subcommand replay" -l follow -d 'Keep reading past the end offsets, until Ctrl-C or --count'
complete -c dualstream -n "__fish_dualstream_using_subcommand replay" -l expect-once -d 'With --expect, an expectation met twice is a failure (exit 6)'
complete -c dualstream -n "__fish_dualstream_using_subcommand replay" -l to-redis -d 'Instead of printing, re-send each record\'s notification to Redis as publish would (repairs subscribers after a Redis outage)'
complete -c dualstream -n "__fish_dualstream_using_subcommand replay" -l exactly-once -d 'With --group and --to-topic: copy exactly once. The copies of each batch and the group\'s offsets after it are committed in one Kafka transaction (read-committed readers of the target see every record once, also after a crash, a rebalance or a broker failure); a rerun fences the copy before it'
complete -c dualstream -n "__fish_dualstream_using_subcommand replay" -l envelope -d 'Short for --format envelope'
complete -c dualstream -n "__fish_dualstream_using_subcommand replay" -l progress -d 'Show the progress bar even when stderr is not a terminal'
complete -c dualstream -n "__fish_dualstream_using_subcommand replay" -l sharded -d 'Sharded Pub/Sub (Redis 7+): notify with SPUBLISH and tail with SSUBSCRIBE at each channel\'s slot owner, so a Redis Cluster keeps each message in one shard. Channel names only, no globs'
complete -c dualstream -n "__fish_dualstream_using_subcommand replay" -s q -l quiet -d 'Print only errors'
complete -c dualstream -n "__fish_dualstream_using_subcommand replay" -s v -l verbose -d 'More detail on stderr: -v for client logs and error causes, -vv for debug'
complete -c dualstream -n "__fish_dualstream_using_subcommand replay" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c dualstream -n "__fish_dualstream_using_subcommand replay" -s V -l version -d 'Print version'
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and not __fish_seen_subcommand_from create list describe delete help" -l brokers -d 'Kafka bootstrap brokers, comma separated' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and not __fish_seen_subcommand_from create list describe delete help" -l topic -d 'Kafka topic' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and not __fish_seen_subcommand_from create list describe delete help" -s X -d 'A librdkafka property, like kcat\'s -X (repeatable); applied after -F' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and not __fish_seen_subcommand_from create list describe delete help" -s F -d 'A librdkafka properties file (key=value lines, # comments)' -r -F
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and not __fish_seen_subcommand_from create list describe delete help" -l isolation -d 'What readers (replay, tail --catch-up/--fill-gaps/--fetch) see of Kafka transactions: read_committed hands on only committed records, never aborted ones or transaction markers; read_uncommitted everything' -r -f -a "read_committed\t'Only committed transactions (and records written outside any)'
read_uncommitted\t'Everything, records of aborted and open transactions too'"
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and not __fish_seen_subcommand_from create list describe delete help" -l redis -d 'Redis URL (redis://, rediss://, or redis+cluster://host:port,… for a Redis Cluster), or `off` to use Kafka only. A password in it is never printed' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and not __fish_seen_subcommand_from create list describe delete help" -l color -d 'When to use colours on a terminal (NO_COLOR is honoured by auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and not __fish_seen_subcommand_from create list describe delete help" -l profile -d 'Take unset options from this profile of the config file [default: the file\'s `default`]' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and not __fish_seen_subcommand_from create list describe delete help" -l config -d 'The config file [default: $XDG_CONFIG_HOME/dualstream/config.toml, else ~/.config/dualstream/config.toml]' -r -F
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and not __fish_seen_subcommand_from create list describe delete help" -l sharded -d 'Sharded Pub/Sub (Redis 7+): notify with SPUBLISH and tail with SSUBSCRIBE at each channel\'s slot owner, so a Redis Cluster keeps each message in one shard. Channel names only, no globs'
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and not __fish_seen_subcommand_from create list describe delete help" -s q -l quiet -d 'Print only errors'
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and not __fish_seen_subcommand_from create list describe delete help" -s v -l verbose -d 'More detail on stderr: -v for client logs and error causes, -vv for debug'
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and not __fish_seen_subcommand_from create list describe delete help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and not __fish_seen_subcommand_from create list describe delete help" -s V -l version -d 'Print version'
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and not __fish_seen_subcommand_from create list describe delete help" -f -a "create" -d 'Create a topic; one that exists already with other settings is reported (exit 4)'
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and not __fish_seen_subcommand_from create list describe delete help" -f -a "list" -d 'Every topic with its partitions, replication factor and messages (end − start offsets)'
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and not __fish_seen_subcommand_from create list describe delete help" -f -a "describe" -d 'One topic\'s partitions (leader, replicas, in-sync replicas, offsets) and configs'
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and not __fish_seen_subcommand_from create list describe delete help" -f -a "delete" -d 'Delete a topic and every record in it (needs --yes)'
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and not __fish_seen_subcommand_from create list describe delete help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from create" -l partitions -d 'Partitions [default: 3]' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from create" -l replication-factor -d 'Replication factor [default: 3, or the number of brokers if fewer]' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from create" -l min-insync-replicas -d 'min.insync.replicas [default: replication factor − 1, at least 1]' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from create" -l timeout -d 'How long Kafka may take to answer (exit 4)' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from create" -l brokers -d 'Kafka bootstrap brokers, comma separated' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from create" -l topic -d 'Kafka topic' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from create" -s X -d 'A librdkafka property, like kcat\'s -X (repeatable); applied after -F' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from create" -s F -d 'A librdkafka properties file (key=value lines, # comments)' -r -F
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from create" -l isolation -d 'What readers (replay, tail --catch-up/--fill-gaps/--fetch) see of Kafka transactions: read_committed hands on only committed records, never aborted ones or transaction markers; read_uncommitted everything' -r -f -a "read_committed\t'Only committed transactions (and records written outside any)'
read_uncommitted\t'Everything, records of aborted and open transactions too'"
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from create" -l redis -d 'Redis URL (redis://, rediss://, or redis+cluster://host:port,… for a Redis Cluster), or `off` to use Kafka only. A password in it is never printed' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from create" -l color -d 'When to use colours on a terminal (NO_COLOR is honoured by auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from create" -l profile -d 'Take unset options from this profile of the config file [default: the file\'s `default`]' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from create" -l config -d 'The config file [default: $XDG_CONFIG_HOME/dualstream/config.toml, else ~/.config/dualstream/config.toml]' -r -F
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from create" -l sharded -d 'Sharded Pub/Sub (Redis 7+): notify with SPUBLISH and tail with SSUBSCRIBE at each channel\'s slot owner, so a Redis Cluster keeps each message in one shard. Channel names only, no globs'
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from create" -s q -l quiet -d 'Print only errors'
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from create" -s v -l verbose -d 'More detail on stderr: -v for client logs and error causes, -vv for debug'
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from create" -s V -l version -d 'Print version'
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from list" -l format -d 'Output format [default: table on a terminal, json (one object a line) on a pipe]' -r -f -a "table\t''
json\t''"
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from list" -l timeout -d 'How long Kafka may take to answer (exit 4)' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from list" -l brokers -d 'Kafka bootstrap brokers, comma separated' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from list" -l topic -d 'Kafka topic' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from list" -s X -d 'A librdkafka property, like kcat\'s -X (repeatable); applied after -F' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from list" -s F -d 'A librdkafka properties file (key=value lines, # comments)' -r -F
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from list" -l isolation -d 'What readers (replay, tail --catch-up/--fill-gaps/--fetch) see of Kafka transactions: read_committed hands on only committed records, never aborted ones or transaction markers; read_uncommitted everything' -r -f -a "read_committed\t'Only committed transactions (and records written outside any)'
read_uncommitted\t'Everything, records of aborted and open transactions too'"
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from list" -l redis -d 'Redis URL (redis://, rediss://, or redis+cluster://host:port,… for a Redis Cluster), or `off` to use Kafka only. A password in it is never printed' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from list" -l color -d 'When to use colours on a terminal (NO_COLOR is honoured by auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from list" -l profile -d 'Take unset options from this profile of the config file [default: the file\'s `default`]' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from list" -l config -d 'The config file [default: $XDG_CONFIG_HOME/dualstream/config.toml, else ~/.config/dualstream/config.toml]' -r -F
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from list" -l internal -d 'Also the internal topics (__consumer_offsets, …)'
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from list" -l sharded -d 'Sharded Pub/Sub (Redis 7+): notify with SPUBLISH and tail with SSUBSCRIBE at each channel\'s slot owner, so a Redis Cluster keeps each message in one shard. Channel names only, no globs'
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only errors'
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from list" -s v -l verbose -d 'More detail on stderr: -v for client logs and error causes, -vv for debug'
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from describe" -l format -d 'Output format [default: table on a terminal, json on a pipe]' -r -f -a "table\t''
json\t''"
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from describe" -l timeout -d 'How long Kafka may take to answer (exit 4)' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from describe" -l brokers -d 'Kafka bootstrap brokers, comma separated' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from describe" -l topic -d 'Kafka topic' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from describe" -s X -d 'A librdkafka property, like kcat\'s -X (repeatable); applied after -F' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from describe" -s F -d 'A librdkafka properties file (key=value lines, # comments)' -r -F
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from describe" -l isolation -d 'What readers (replay, tail --catch-up/--fill-gaps/--fetch) see of Kafka transactions: read_committed hands on only committed records, never aborted ones or transaction markers; read_uncommitted everything' -r -f -a "read_committed\t'Only committed transactions (and records written outside any)'
read_uncommitted\t'Everything, records of aborted and open transactions too'"
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from describe" -l redis -d 'Redis URL (redis://, rediss://, or redis+cluster://host:port,… for a Redis Cluster), or `off` to use Kafka only. A password in it is never printed' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from describe" -l color -d 'When to use colours on a terminal (NO_COLOR is honoured by auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from describe" -l profile -d 'Take unset options from this profile of the config file [default: the file\'s `default`]' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from describe" -l config -d 'The config file [default: $XDG_CONFIG_HOME/dualstream/config.toml, else ~/.config/dualstream/config.toml]' -r -F
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from describe" -l sharded -d 'Sharded Pub/Sub (Redis 7+): notify with SPUBLISH and tail with SSUBSCRIBE at each channel\'s slot owner, so a Redis Cluster keeps each message in one shard. Channel names only, no globs'
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from describe" -s q -l quiet -d 'Print only errors'
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from describe" -s v -l verbose -d 'More detail on stderr: -v for client logs and error causes, -vv for debug'
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from describe" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from describe" -s V -l version -d 'Print version'
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from delete" -l timeout -d 'How long Kafka may take to answer (exit 4)' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from delete" -l brokers -d 'Kafka bootstrap brokers, comma separated' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from delete" -l topic -d 'Kafka topic' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from delete" -s X -d 'A librdkafka property, like kcat\'s -X (repeatable); applied after -F' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from delete" -s F -d 'A librdkafka properties file (key=value lines, # comments)' -r -F
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from delete" -l isolation -d 'What readers (replay, tail --catch-up/--fill-gaps/--fetch) see of Kafka transactions: read_committed hands on only committed records, never aborted ones or transaction markers; read_uncommitted everything' -r -f -a "read_committed\t'Only committed transactions (and records written outside any)'
read_uncommitted\t'Everything, records of aborted and open transactions too'"
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from delete" -l redis -d 'Redis URL (redis://, rediss://, or redis+cluster://host:port,… for a Redis Cluster), or `off` to use Kafka only. A password in it is never printed' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from delete" -l color -d 'When to use colours on a terminal (NO_COLOR is honoured by auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from delete" -l profile -d 'Take unset options from this profile of the config file [default: the file\'s `default`]' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from delete" -l config -d 'The config file [default: $XDG_CONFIG_HOME/dualstream/config.toml, else ~/.config/dualstream/config.toml]' -r -F
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from delete" -l yes -d 'Really delete it, with every record in it'
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from delete" -l sharded -d 'Sharded Pub/Sub (Redis 7+): notify with SPUBLISH and tail with SSUBSCRIBE at each channel\'s slot owner, so a Redis Cluster keeps each message in one shard. Channel names only, no globs'
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from delete" -s q -l quiet -d 'Print only errors'
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from delete" -s v -l verbose -d 'More detail on stderr: -v for client logs and error causes, -vv for debug'
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from delete" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from delete" -s V -l version -d 'Print version'
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from help" -f -a "create" -d 'Create a topic; one that exists already with other settings is reported (exit 4)'
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from help" -f -a "list" -d 'Every topic with its partitions, replication factor and messages (end − start offsets)'
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from help" -f -a "describe" -d 'One topic\'s partitions (leader, replicas, in-sync replicas, offsets) and configs'
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from help" -f -a "delete" -d 'Delete a topic and every record in it (needs --yes)'
complete -c dualstream -n "__fish_dualstream_using_subcommand topic; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c dualstream -n "__fish_dualstream_using_subcommand profile; and not __fish_seen_subcommand_from list show help" -l brokers -d 'Kafka bootstrap brokers, comma separated' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand profile; and not __fish_seen_subcommand_from list show help" -l topic -d 'Kafka topic' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand profile; and not __fish_seen_subcommand_from list show help" -s X -d 'A librdkafka property, like kcat\'s -X (repeatable); applied after -F' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand profile; and not __fish_seen_subcommand_from list show help" -s F -d 'A librdkafka properties file (key=value lines, # comments)' -r -F
complete -c dualstream -n "__fish_dualstream_using_subcommand profile; and not __fish_seen_subcommand_from list show help" -l isolation -d 'What readers (replay, tail --catch-up/--fill-gaps/--fetch) see of Kafka transactions: read_committed hands on only committed records, never aborted ones or transaction markers; read_uncommitted everything' -r -f -a "read_committed\t'Only committed transactions (and records written outside any)'
read_uncommitted\t'Everything, records of aborted and open transactions too'"
complete -c dualstream -n "__fish_dualstream_using_subcommand profile; and not __fish_seen_subcommand_from list show help" -l redis -d 'Redis URL (redis://, rediss://, or redis+cluster://host:port,… for a Redis Cluster), or `off` to use Kafka only. A password in it is never printed' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand profile; and not __fish_seen_subcommand_from list show help" -l color -d 'When to use colours on a terminal (NO_COLOR is honoured by auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c dualstream -n "__fish_dualstream_using_subcommand profile; and not __fish_seen_subcommand_from list show help" -l profile -d 'Take unset options from this profile of the config file [default: the file\'s `default`]' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand profile; and not __fish_seen_subcommand_from list show help" -l config -d 'The config file [default: $XDG_CONFIG_HOME/dualstream/config.toml, else ~/.config/dualstream/config.toml]' -r -F
complete -c dualstream -n "__fish_dualstream_using_subcommand profile; and not __fish_seen_subcommand_from list show help" -l sharded -d 'Sharded Pub/Sub (Redis 7+): notify with SPUBLISH and tail with SSUBSCRIBE at each channel\'s slot owner, so a Redis Cluster keeps each message in one shard. Channel names only, no globs'
complete -c dualstream -n "__fish_dualstream_using_subcommand profile; and not __fish_seen_subcommand_from list show help" -s q -l quiet -d 'Print only errors'
complete -c dualstream -n "__fish_dualstream_using_subcommand profile; and not __fish_seen_subcommand_from list show help" -s v -l verbose -d 'More detail on stderr: -v for client logs and error causes, -vv for debug'
complete -c dualstream -n "__fish_dualstream_using_subcommand profile; and not __fish_seen_subcommand_from list show help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c dualstream -n "__fish_dualstream_using_subcommand profile; and not __fish_seen_subcommand_from list show help" -s V -l version -d 'Print version'
complete -c dualstream -n "__fish_dualstream_using_subcommand profile; and not __fish_seen_subcommand_from list show help" -f -a "list" -d 'Every profile of the config file: brokers, Redis, topic; the default marked'
complete -c dualstream -n "__fish_dualstream_using_subcommand profile; and not __fish_seen_subcommand_from list show help" -f -a "show" -d 'Every setting of one profile, secrets masked'
complete -c dualstream -n "__fish_dualstream_using_subcommand profile; and not __fish_seen_subcommand_from list show help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c dualstream -n "__fish_dualstream_using_subcommand profile; and __fish_seen_subcommand_from list" -l format -d 'Output format' -r -f -a "table\t''
json\t''"
complete -c dualstream -n "__fish_dualstream_using_subcommand profile; and __fish_seen_subcommand_from list" -l brokers -d 'Kafka bootstrap brokers, comma separated' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand profile; and __fish_seen_subcommand_from list" -l topic -d 'Kafka topic' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand profile; and __fish_seen_subcommand_from list" -s X -d 'A librdkafka property, like kcat\'s -X (repeatable); applied after -F' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand profile; and __fish_seen_subcommand_from list" -s F -d 'A librdkafka properties file (key=value lines, # comments)' -r -F
complete -c dualstream -n "__fish_dualstream_using_subcommand profile; and __fish_seen_subcommand_from list" -l isolation -d 'What readers (replay, tail --catch-up/--fill-gaps/--fetch) see of Kafka transactions: read_committed hands on only committed records, never aborted ones or transaction markers; read_uncommitted everything' -r -f -a "read_committed\t'Only committed transactions (and records written outside any)'
read_uncommitted\t'Everything, records of aborted and open transactions too'"
complete -c dualstream -n "__fish_dualstream_using_subcommand profile; and __fish_seen_subcommand_from list" -l redis -d 'Redis URL (redis://, rediss://, or redis+cluster://host:port,… for a Redis Cluster), or `off` to use Kafka only. A password in it is never printed' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand profile; and __fish_seen_subcommand_from list" -l color -d 'When to use colours on a terminal (NO_COLOR is honoured by auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c dualstream -n "__fish_dualstream_using_subcommand profile; and __fish_seen_subcommand_from list" -l profile -d 'Take unset options from this profile of the config file [default: the file\'s `default`]' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand profile; and __fish_seen_subcommand_from list" -l config -d 'The config file [default: $XDG_CONFIG_HOME/dualstream/config.toml, else ~/.config/dualstream/config.toml]' -r -F
complete -c dualstream -n "__fish_dualstream_using_subcommand profile; and __fish_seen_subcommand_from list" -l sharded -d 'Sharded Pub/Sub (Redis 7+): notify with SPUBLISH and tail with SSUBSCRIBE at each channel\'s slot owner, so a Redis Cluster keeps each message in one shard. Channel names only, no globs'
complete -c dualstream -n "__fish_dualstream_using_subcommand profile; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only errors'
complete -c dualstream -n "__fish_dualstream_using_subcommand profile; and __fish_seen_subcommand_from list" -s v -l verbose -d 'More detail on stderr: -v for client logs and error causes, -vv for debug'
complete -c dualstream -n "__fish_dualstream_using_subcommand profile; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c dualstream -n "__fish_dualstream_using_subcommand profile; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c dualstream -n "__fish_dualstream_using_subcommand profile; and __fish_seen_subcommand_from show" -l format -d 'Output format' -r -f -a "table\t''
json\t''"
complete -c dualstream -n "__fish_dualstream_using_subcommand profile; and __fish_seen_subcommand_from show" -l brokers -d 'Kafka bootstrap brokers, comma separated' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand profile; and __fish_seen_subcommand_from show" -l topic -d 'Kafka topic' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand profile; and __fish_seen_subcommand_from show" -s X -d 'A librdkafka property, like kcat\'s -X (repeatable); applied after -F' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand profile; and __fish_seen_subcommand_from show" -s F -d 'A librdkafka properties file (key=value lines, # comments)' -r -F
complete -c dualstream -n "__fish_dualstream_using_subcommand profile; and __fish_seen_subcommand_from show" -l isolation -d 'What readers (replay, tail --catch-up/--fill-gaps/--fetch) see of Kafka transactions: read_committed hands on only committed records, never aborted ones or transaction markers; read_uncommitted everything' -r -f -a "read_committed\t'Only committed transactions (and records written outside any)'
read_uncommitted\t'Everything, records of aborted and open transactions too'"
complete -c dualstream -n "__fish_dualstream_using_subcommand profile; and __fish_seen_subcommand_from show" -l redis -d 'Redis URL (redis://, rediss://, or redis+cluster://host:port,… for a Redis Cluster), or `off` to use Kafka only. A password in it is never printed' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand profile; and __fish_seen_subcommand_from show" -l color -d 'When to use colours on a terminal (NO_COLOR is honoured by auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c dualstream -n "__fish_dualstream_using_subcommand profile; and __fish_seen_subcommand_from show" -l profile -d 'Take unset options from this profile of the config file [default: the file\'s `default`]' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand profile; and __fish_seen_subcommand_from show" -l config -d 'The config file [default: $XDG_CONFIG_HOME/dualstream/config.toml, else ~/.config/dualstream/config.toml]' -r -F
complete -c dualstream -n "__fish_dualstream_using_subcommand profile; and __fish_seen_subcommand_from show" -l sharded -d 'Sharded Pub/Sub (Redis 7+): notify with SPUBLISH and tail with SSUBSCRIBE at each channel\'s slot owner, so a Redis Cluster keeps each message in one shard. Channel names only, no globs'
complete -c dualstream -n "__fish_dualstream_using_subcommand profile; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print only errors'
complete -c dualstream -n "__fish_dualstream_using_subcommand profile; and __fish_seen_subcommand_from show" -s v -l verbose -d 'More detail on stderr: -v for client logs and error causes, -vv for debug'
complete -c dualstream -n "__fish_dualstream_using_subcommand profile; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c dualstream -n "__fish_dualstream_using_subcommand profile; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c dualstream -n "__fish_dualstream_using_subcommand profile; and __fish_seen_subcommand_from help" -f -a "list" -d 'Every profile of the config file: brokers, Redis, topic; the default marked'
complete -c dualstream -n "__fish_dualstream_using_subcommand profile; and __fish_seen_subcommand_from help" -f -a "show" -d 'Every setting of one profile, secrets masked'
complete -c dualstream -n "__fish_dualstream_using_subcommand profile; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c dualstream -n "__fish_dualstream_using_subcommand completions" -l brokers -d 'Kafka bootstrap brokers, comma separated' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand completions" -l topic -d 'Kafka topic' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand completions" -s X -d 'A librdkafka property, like kcat\'s -X (repeatable); applied after -F' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand completions" -s F -d 'A librdkafka properties file (key=value lines, # comments)' -r -F
complete -c dualstream -n "__fish_dualstream_using_subcommand completions" -l isolation -d 'What readers (replay, tail --catch-up/--fill-gaps/--fetch) see of Kafka transactions: read_committed hands on only committed records, never aborted ones or transaction markers; read_uncommitted everything' -r -f -a "read_committed\t'Only committed transactions (and records written outside any)'
read_uncommitted\t'Everything, records of aborted and open transactions too'"
complete -c dualstream -n "__fish_dualstream_using_subcommand completions" -l redis -d 'Redis URL (redis://, rediss://, or redis+cluster://host:port,… for a Redis Cluster), or `off` to use Kafka only. A password in it is never printed' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand completions" -l color -d 'When to use colours on a terminal (NO_COLOR is honoured by auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c dualstream -n "__fish_dualstream_using_subcommand completions" -l profile -d 'Take unset options from this profile of the config file [default: the file\'s `default`]' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand completions" -l config -d 'The config file [default: $XDG_CONFIG_HOME/dualstream/config.toml, else ~/.config/dualstream/config.toml]' -r -F
complete -c dualstream -n "__fish_dualstream_using_subcommand completions" -l sharded -d 'Sharded Pub/Sub (Redis 7+): notify with SPUBLISH and tail with SSUBSCRIBE at each channel\'s slot owner, so a Redis Cluster keeps each message in one shard. Channel names only, no globs'
complete -c dualstream -n "__fish_dualstream_using_subcommand completions" -s q -l quiet -d 'Print only errors'
complete -c dualstream -n "__fish_dualstream_using_subcommand completions" -s v -l verbose -d 'More detail on stderr: -v for client logs and error causes, -vv for debug'
complete -c dualstream -n "__fish_dualstream_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c dualstream -n "__fish_dualstream_using_subcommand completions" -s V -l version -d 'Print version'
complete -c dualstream -n "__fish_dualstream_using_subcommand man" -l out-dir -d 'Write dualstream.1 and one page per subcommand into this directory' -r -F
complete -c dualstream -n "__fish_dualstream_using_subcommand man" -l brokers -d 'Kafka bootstrap brokers, comma separated' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand man" -l topic -d 'Kafka topic' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand man" -s X -d 'A librdkafka property, like kcat\'s -X (repeatable); applied after -F' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand man" -s F -d 'A librdkafka properties file (key=value lines, # comments)' -r -F
complete -c dualstream -n "__fish_dualstream_using_subcommand man" -l isolation -d 'What readers (replay, tail --catch-up/--fill-gaps/--fetch) see of Kafka transactions: read_committed hands on only committed records, never aborted ones or transaction markers; read_uncommitted everything' -r -f -a "read_committed\t'Only committed transactions (and records written outside any)'
read_uncommitted\t'Everything, records of aborted and open transactions too'"
complete -c dualstream -n "__fish_dualstream_using_subcommand man" -l redis -d 'Redis URL (redis://, rediss://, or redis+cluster://host:port,… for a Redis Cluster), or `off` to use Kafka only. A password in it is never printed' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand man" -l color -d 'When to use colours on a terminal (NO_COLOR is honoured by auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c dualstream -n "__fish_dualstream_using_subcommand man" -l profile -d 'Take unset options from this profile of the config file [default: the file\'s `default`]' -r
complete -c dualstream -n "__fish_dualstream_using_subcommand man" -l config -d 'The config file [default: $XDG_CONFIG_HOME/dualstream/config.toml, else ~/.config/dualstream/config.toml]' -r -F
complete -c dualstream -n "__fish_dualstream_using_subcommand man" -l sharded -d 'Sharded Pub/Sub (Redis 7+): notify with SPUBLISH and tail with SSUBSCRIBE at each channel\'s slot owner, so a Redis Cluster keeps each message in one shard. Channel names only, no globs'
complete -c dualstream -n "__fish_dualstream_using_subcommand man" -s q -l quiet -d 'Print only errors'
complete -c dualstream -n "__fish_dualstream_using_subcommand man" -s v -l verbose -d 'More detail on stderr: -v for client logs and error causes, -vv for debug'
complete -c dualstream -n "__fish_dualstream_using_subcommand man" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c dualstream -n "__fish_dualstream_using_subcommand man" -s V -l version -d 'Print version'
complete -c dualstream -n "__fish_dualstream_using_subcommand help; and not __fish_seen_subcommand_from publish tail serve health replay topic profile completions man help" -f -a "publish" -d 'Publish NDJSON or CSV events to Kafka, then notify Redis'
complete -c dualstream -n "__fish_dualstream_using_subcommand help; and not __fish_seen_subcommand_from publish tail serve health replay topic profile completions man help" -f -a "tail" -d 'Follow Redis channels by glob (PSUBSCRIBE) or by name (SUBSCRIBE)'
complete -c dualstream -n "__fish_dualstream_using_subcommand help; and not __fish_seen_subcommand_from publish tail serve health replay topic profile completions man help" -f -a "serve" -d 'Serve live events to browsers and services over Server-Sent Events and WebSocket, resuming from Kafka with no gap and no duplicate'
complete -c dualstream -n "__fish_dualstream_using_subcommand help; and not __fish_seen_subcommand_from publish tail serve health replay topic profile completions man help" -f -a "health" -d 'Check Kafka and Redis: brokers, partitions, lag, Redis state, and an end-to-end probe'
complete -c dualstream -n "__fish_dualstream_using_subcommand help; and not __fish_seen_subcommand_from publish tail serve health replay topic profile completions man help" -f -a "replay" -d 'Read a Kafka topic from an offset or a time, up to the end offsets taken at start'
complete -c dualstream -n "__fish_dualstream_using_subcommand help; and not __fish_seen_subcommand_from publish tail serve health replay topic profile completions man help" -f -a "topic" -d 'Create, list, describe and delete Kafka topics'
complete -c dualstream -n "__fish_dualstream_using_subcommand help; and not __fish_seen_subcommand_from publish tail serve health replay topic profile completions man help" -f -a "profile" -d 'List and show the named profiles of the config file (secrets masked)'
complete -c dualstream -n "__fish_dualstream_using_subcommand help; and not __fish_seen_subcommand_from publish tail serve health replay topic profile completions man help" -f -a "completions" -d 'Print a shell completion script'
complete -c dualstream -n "__fish_dualstream_using_subcommand help; and not __fish_seen_subcommand_from publish tail serve health replay topic profile completions man help" -f -a "man" -d 'Print the man page (roff), or write every page into a directory'
complete -c dualstream -n "__fish_dualstream_using_subcommand help; and not __fish_seen_subcommand_from publish tail serve health replay topic profile completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c dualstream -n "__fish_dualstream_using_subcommand help; and __fish_seen_subcommand_from topic" -f -a "create" -d 'Create a topic; one that exists already with other settings is reported (exit 4)'
complete -c dualstream -n "__fish_dualstream_using_subcommand help; and __fish_seen_subcommand_from topic" -f -a "list" -d 'Every topic with its partitions, replication factor and messages (end − start offsets)'
complete -c dualstream -n "__fish_dualstream_using_subcommand help; and __fish_seen_subcommand_from topic" -f -a "describe" -d 'One topic\'s partitions (leader, replicas, in-sync replicas, offsets) and configs'
complete -c dualstream -n "__fish_dualstream_using_subcommand help; and __fish_seen_subcommand_from topic" -f -a "delete" -d 'Delete a topic and every record in it (needs --yes)'
complete -c dualstream -n "__fish_dualstream_using_subcommand help; and __fish_seen_subcommand_from profile" -f -a "list" -d 'Every profile of the config file: brokers, Redis, topic; the default marked'
complete -c dualstream -n "__fish_dualstream_using_subcommand help; and __fish_seen_subcommand_from profile" -f -a "show" -d 'Every setting of one profile, secrets masked'
