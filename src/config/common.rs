//! The settings every command shares: the brokers and their provenance
//! (flag > environment > profile > default), the librdkafka properties
//! (profile, then -F, then -X), the topic and the Redis target; the
//! profile's values put where the user left a default.

use anyhow::Result;

use crate::cli::{Cli, Command, Global, IsolationChoice, ProfileAction, ReportFormat};
use crate::error;
use crate::kafka::config::{parse_properties_file, parse_property};
use crate::kafka::config::{BrokersFrom, Isolation};
use crate::kafka::KafkaSettings;
use crate::output::DocFormat;
use crate::profile::{Action, Profile, ProfileJob};
use crate::pubsub::Target;

use super::check::check_topic_name;

/// Where Kafka and Redis are: the settings every command shares.
pub struct Common {
    /// The brokers and the librdkafka properties (profile, then -F, then
    /// -X; publish's --compression last).
    pub kafka: KafkaSettings,
    /// --topic.
    pub topic: String,
    /// The topic was chosen by the user, not defaulted.
    pub topic_given: bool,
    /// `None` for `--redis off`: for the commands to which Redis is
    /// optional. Those that need it (tail, replay --to-redis) have it in
    /// their own settings.
    pub redis: Option<Target>,
}

/// Where the brokers come from (flag > environment > profile > default),
/// decided before [`apply`] fills in the profile's.
pub(super) fn brokers_from(global: &Global, profile: Option<&Profile>) -> BrokersFrom {
    match profile.filter(|p| p.brokers.is_some()) {
        _ if !global.defaulted.brokers && global.brokers_from_env => BrokersFrom::Env,
        _ if !global.defaulted.brokers => BrokersFrom::Flag,
        Some(p) => BrokersFrom::Profile(p.name.clone()),
        None => BrokersFrom::Default,
    }
}

/// Put the profile's values where the user left a built-in default.
pub(super) fn apply(p: &Profile, cli: &mut Cli) {
    let g = &mut cli.global;
    let fill = |defaulted: &mut bool, value: &mut String, from: &Option<String>| {
        if let (true, Some(v)) = (*defaulted, from) {
            *value = v.clone();
            *defaulted = false;
        }
    };
    fill(&mut g.defaulted.brokers, &mut g.brokers, &p.brokers);
    fill(&mut g.defaulted.redis, &mut g.redis, &p.redis);
    if let (true, Some(on)) = (g.defaulted.sharded, p.sharded) {
        g.sharded = on;
        g.defaulted.sharded = false;
    }
    fill(&mut g.defaulted.topic, &mut g.topic, &p.topic);
    let channel = match &mut cli.command {
        Command::Publish(a) => &mut a.channel,
        Command::Tail(a) => &mut a.channel,
        Command::Replay(a) => &mut a.channel,
        Command::Serve(a) => &mut a.channel,
        _ => return,
    };
    fill(&mut g.defaulted.channel, channel, &p.channel);
}

pub(super) fn profile_job(action: &ProfileAction, global: &Global) -> ProfileJob {
    let doc = |f: ReportFormat| match f {
        ReportFormat::Table => DocFormat::Table,
        ReportFormat::Json => DocFormat::Json,
    };
    let (action, format) = match action {
        ProfileAction::List(a) => (Action::List, doc(a.format)),
        ProfileAction::Show(a) => (Action::Show(a.name.clone()), doc(a.format)),
    };
    ProfileJob {
        action,
        format,
        config: global.config.clone(),
        chosen: global.profile.clone(),
    }
}

/// The shared settings. A profile's librdkafka properties come first, so
/// that -F and -X on the command line override them.
pub(super) fn common(global: &Global, profile: Option<&Profile>) -> Result<Common> {
    let mut properties = match profile {
        Some(p) => p.kafka_properties()?,
        None => Vec::new(),
    };
    if let Some(file) = &global.properties_file {
        let name = file.display().to_string();
        let text =
            std::fs::read_to_string(file).map_err(|e| error::usage(format!("-F {name}: {e}")))?;
        properties.extend(parse_properties_file(&text, &name)?);
    }
    for pair in &global.property {
        properties.push(parse_property(pair)?);
    }
    if global.topic.is_empty() {
        return Err(error::usage("--topic must not be empty"));
    }
    check_topic_name(&global.topic, "--topic")?;
    let redis = match global.redis.as_str() {
        "off" | "none" => None,
        url => Some(
            Target::open(url)
                .map_err(|e| error::fail(error::code_of(&e), format!("--redis {e}")))?
                .with_sharded(global.sharded),
        ),
    };
    Ok(Common {
        kafka: KafkaSettings {
            brokers: global.brokers.clone(),
            from: BrokersFrom::Default,
            properties,
            isolation: match global.isolation {
                IsolationChoice::ReadCommitted => Isolation::ReadCommitted,
                IsolationChoice::ReadUncommitted => Isolation::ReadUncommitted,
            },
        },
        topic: global.topic.clone(),
        topic_given: !global.defaulted.topic,
        redis,
    })
}

/// A broker list that cannot name a broker is a usage error (exit 2), not a
/// wait for brokers that cannot exist: empty (an unset secret in CI), an
/// empty entry, a port outside 1–65535, or a scheme librdkafka does not
/// take.
pub(super) fn check_servers(kafka: &KafkaSettings) -> Result<()> {
    let list = kafka.effective();
    let source = match kafka.servers_property() {
        Some(_) => "from the bootstrap.servers property".to_string(),
        None => kafka.from.to_string(),
    };
    let bad = |why: &str| error::usage(format!("the broker list {list:?} ({source}): {why}"));
    if list.trim().is_empty() {
        return Err(bad("it is empty; give --brokers HOST:PORT[,HOST:PORT…]"));
    }
    for entry in list.split(',').map(str::trim) {
        if entry.is_empty() {
            return Err(bad("it has an empty entry"));
        }
        let address = match entry.split_once("://") {
            Some((scheme, rest)) => {
                let known = ["plaintext", "ssl", "sasl_plaintext", "sasl_ssl"];
                if !known.contains(&scheme.to_ascii_lowercase().as_str()) {
                    return Err(bad(&format!(
                        "{scheme}:// is not a protocol librdkafka knows (give HOST:PORT)"
                    )));
                }
                rest
            }
            None => entry,
        };
        if let Some((host, port)) = address.rsplit_once(':') {
            let bracketed = host.starts_with('[') && host.ends_with(']');
            let v6_bare = host.contains(':') && !bracketed;
            if !v6_bare && !matches!(port.parse::<u32>(), Ok(1..=65535)) {
                return Err(bad(&format!(
                    "{port:?} in {entry:?} is not a port (1-65535)"
                )));
            }
            if host.is_empty() {
                return Err(bad(&format!("{entry:?} has no host")));
            }
        }
    }
    Ok(())
}
