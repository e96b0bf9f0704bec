//! Named profiles: the config file (`--config`, else
//! `$XDG_CONFIG_HOME/dualstream/config.toml`, else
//! `~/.config/dualstream/config.toml`), its `default`, and its
//! `[profiles.NAME]` tables, whose keys are long flag names. This module
//! finds, reads and checks the file (every error names the file, the line
//! and the key) and hands it, secrets masked, to `output::profile` for
//! `dualstream profile`.
//! Which of a profile's values apply is decided in `config.rs`: flag >
//! environment > profile > built-in default.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::Deserialize;
use toml::Spanned;

use crate::error::{self, Code};
use crate::event::ChannelTemplate;
use crate::kafka::config::parse_properties_file;
use crate::kafka::KafkaSettings;
use crate::output::profile::ShownProfile;
use crate::output::{DocFormat, Output};
use crate::pubsub::{display_url, Target};

/// The file as written. Unknown keys are errors, at every level but the
/// librdkafka properties (librdkafka checks those).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    default: Option<Spanned<String>>,
    #[serde(default)]
    profiles: BTreeMap<String, Spanned<RawProfile>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawProfile {
    brokers: Option<Spanned<String>>,
    redis: Option<Spanned<String>>,
    sharded: Option<bool>,
    topic: Option<Spanned<String>>,
    channel: Option<Spanned<String>>,
    properties_file: Option<Spanned<String>>,
    #[serde(default)]
    kafka: BTreeMap<String, Spanned<toml::Value>>,
}

/// A config file, read and checked.
#[derive(Debug)]
pub struct ConfigFile {
    pub path: PathBuf,
    /// The profile used when none is named.
    pub default: Option<String>,
    /// By name.
    pub profiles: Vec<Profile>,
}

/// One profile: values that stand in for options the user did not give.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Profile {
    pub name: String,
    pub brokers: Option<String>,
    /// A Redis URL, or `off`.
    pub redis: Option<String>,
    /// Sharded Pub/Sub, like --sharded.
    pub sharded: Option<bool>,
    pub topic: Option<String>,
    /// The channel template of publish, tail and replay.
    pub channel: Option<String>,
    /// Like -F; a relative path is taken from the config file's directory.
    pub properties_file: Option<PathBuf>,
    /// librdkafka properties like -X, applied before -F and -X; nested
    /// tables (`sasl.mechanism = …` without quotes) become dotted keys.
    pub kafka: Vec<(String, String)>,
    /// `file:line` of `properties-file`, for an error reading it.
    properties_file_at: String,
}

impl Profile {
    /// The profile's librdkafka properties: its properties file's, then its
    /// `kafka` table's (later ones win).
    pub fn kafka_properties(&self) -> Result<Vec<(String, String)>> {
        let mut properties = Vec::new();
        if let Some(file) = &self.properties_file {
            let name = file.display().to_string();
            let text = std::fs::read_to_string(file).map_err(|e| {
                error::usage(format!(
                    "{}: properties-file {name}: {e}",
                    self.properties_file_at
                ))
            })?;
            properties.extend(parse_properties_file(&text, &name)?);
        }
        properties.extend(self.kafka.iter().cloned());
        Ok(properties)
    }
}

/// Where the config file is looked for.
#[derive(Clone, Debug, PartialEq)]
pub enum Location {
    /// Named by --config or DUALSTREAM_CONFIG: it must exist.
    Given(PathBuf),
    /// The usual place: it may be absent.
    Usual(PathBuf),
    /// Neither XDG_CONFIG_HOME nor HOME is set.
    Nowhere,
}

impl Location {
    /// `given` (--config), else the XDG place, from the environment.
    pub fn find(given: Option<&Path>) -> Location {
        let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        Location::of(given, var("XDG_CONFIG_HOME"), var("HOME"))
    }

    fn of(
        given: Option<&Path>,
        xdg: Option<std::ffi::OsString>,
        home: Option<std::ffi::OsString>,
    ) -> Location {
        if let Some(path) = given {
            return Location::Given(path.to_path_buf());
        }
        // The XDG spec: a relative XDG_CONFIG_HOME is invalid and ignored.
        let base = match (xdg.map(PathBuf::from), home) {
            (Some(xdg), _) if xdg.is_absolute() => xdg,
            (_, Some(home)) => PathBuf::from(home).join(".config"),
            _ => return Location::Nowhere,
        };
        Location::Usual(base.join("dualstream").join("config.toml"))
    }

    /// The file, read and checked; `None` when the usual file is absent.
    pub fn load(&self) -> Result<Option<ConfigFile>> {
        let path = match self {
            Location::Nowhere => return Ok(None),
            Location::Given(p) | Location::Usual(p) => p,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => ConfigFile::parse(path, &text).map(Some),
            Err(e)
                if matches!(self, Location::Usual(_))
                    && e.kind() == std::io::ErrorKind::NotFound =>
            {
                Ok(None)
            }
            Err(e) => Err(error::usage(format!("config file {}: {e}", path.display()))),
        }
    }

    /// The path, for messages.
    fn shown(&self) -> String {
        match self {
            Location::Given(p) | Location::Usual(p) => p.display().to_string(),
            Location::Nowhere => {
                "(none: set --config, DUALSTREAM_CONFIG, XDG_CONFIG_HOME or HOME)".to_string()
            }
        }
    }
}

/// The profile to apply: `name` (--profile), else the file's default, else
/// none. No config file is fine unless a profile was named.
pub fn choose(config: Option<&Path>, name: Option<&str>) -> Result<Option<Profile>> {
    let location = Location::find(config);
    match location.load()? {
        Some(file) => file.select(name).map(|p| p.cloned()),
        None => match name {
            Some(name) => Err(error::usage(format!(
                "profile {name:?}: no config file at {}",
                location.shown()
            ))),
            None => Ok(None),
        },
    }
}

impl ConfigFile {
    /// Parse and check `text`, read from `path`.
    pub fn parse(path: &Path, text: &str) -> Result<ConfigFile> {
        let file = path.display().to_string();
        let at = |span: std::ops::Range<usize>| format!("{file}:{}", line_of(text, span.start));
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            let place = match e.span() {
                Some(span) => at(span),
                None => file.clone(),
            };
            let message = without_strings(e.message().trim());
            match e.span().and_then(|s| key_on_line(text, s.start)) {
                Some(key) if !message.contains(&format!("`{key}`")) => {
                    error::usage(format!("{place}: {key}: {message}"))
                }
                _ => error::usage(format!("{place}: {message}")),
            }
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        let mut profiles = Vec::new();
        for (name, raw_profile) in raw.profiles {
            let table_at = at(raw_profile.span());
            let p = raw_profile.into_inner();
            let bad = |key: &str, span: std::ops::Range<usize>, why: String| {
                error::usage(format!("{}: {key}: {why} (profile {name:?})", at(span)))
            };
            let text_of = |key: &str, v: Option<Spanned<String>>| match v {
                Some(v) if v.get_ref().trim().is_empty() => {
                    Err(bad(key, v.span(), "must not be empty".to_string()))
                }
                Some(v) => Ok(Some(v)),
                None => Ok(None),
            };
            let brokers = text_of("brokers", p.brokers)?;
            let topic = text_of("topic", p.topic)?;
            let redis = text_of("redis", p.redis)?;
            if let Some(url) = &redis {
                if !matches!(url.get_ref().as_str(), "off" | "none") {
                    Target::open(url.get_ref())
                        .map_err(|e| bad("redis", url.span(), e.to_string()))?;
                }
            }
            let channel = text_of("channel", p.channel)?;
            if let Some(c) = &channel {
                ChannelTemplate::parse(c.get_ref()).map_err(|e| bad("channel", c.span(), e))?;
            }
            let properties_file = text_of("properties-file", p.properties_file)?;
            let mut kafka = Vec::new();
            for (key, value) in p.kafka {
                let span = value.span();
                flatten(&key, value.get_ref(), &mut kafka)
                    .map_err(|(key, why)| bad(&format!("kafka.{key}"), span, why))?;
            }
            profiles.push(Profile {
                name: name.clone(),
                brokers: brokers.map(Spanned::into_inner),
                redis: redis.map(Spanned::into_inner),
                sharded: p.sharded,
                topic: topic.map(Spanned::into_inner),
                channel: channel.map(Spanned::into_inner),
                properties_file_at: properties_file.as_ref().map_or(table_at, |f| at(f.span())),
                properties_file: properties_file.map(|f| base.join(f.into_inner())),
                kafka,
            });
        }
        let default = match raw.default {
            Some(d) if !profiles.iter().any(|p| &p.name == d.get_ref()) => {
                return Err(error::usage(format!(
                    "{}: default = {:?}: no such profile ({})",
                    at(d.span()),
                    d.get_ref(),
                    names(&profiles)
                )))
            }
            d => d.map(Spanned::into_inner),
        };
        Ok(ConfigFile {
            path: path.to_path_buf(),
            default,
            profiles,
        })
    }

    /// The profile called `name`, else the default one, else none.
    pub fn select(&self, name: Option<&str>) -> Result<Option<&Profile>> {
        let Some(name) = name.or(self.default.as_deref()) else {
            return Ok(None);
        };
        match self.profiles.iter().find(|p| p.name == name) {
            Some(p) => Ok(Some(p)),
            None => Err(error::usage(format!(
                "{}: no profile {name:?} ({})",
                self.path.display(),
                names(&self.profiles)
            ))),
        }
    }
}

/// "profiles: a, b", or that there are none.
fn names(profiles: &[Profile]) -> String {
    if profiles.is_empty() {
        return "the file has no [profiles.NAME] table".to_string();
    }
    let names: Vec<&str> = profiles.iter().map(|p| p.name.as_str()).collect();
    format!("profiles: {}", names.join(", "))
}

/// A `kafka` value as librdkafka properties: scalars as text, tables as
/// dotted keys. On error: the key and why.
fn flatten(
    key: &str,
    value: &toml::Value,
    out: &mut Vec<(String, String)>,
) -> Result<(), (String, String)> {
    use toml::Value;
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Integer(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Boolean(b) => b.to_string(),
        Value::Table(table) => {
            for (k, v) in table {
                flatten(&format!("{key}.{k}"), v, out)?;
            }
            return Ok(());
        }
        Value::Array(_) | Value::Datetime(_) => {
            return Err((
                key.to_string(),
                "expected a string, a number or a boolean".to_string(),
            ))
        }
    };
    out.push((key.to_string(), text));
    Ok(())
}

/// The 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// The key of a `key = value` line holding byte `offset`, if that line is one.
fn key_on_line(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = text[start..].lines().next()?;
    let (key, _) = line.split_once('=')?;
    let key = key.trim();
    (!key.is_empty() && !key.starts_with('[') && !key.starts_with('#')).then(|| key.to_string())
}

/// serde's messages quote a rejected string value (`invalid type: string
/// "…"`): a misplaced secret must not be printed, so the quoted text goes.
fn without_strings(message: &str) -> String {
    let mut out = String::new();
    let mut rest = message;
    while let Some(i) = rest.find("string \"") {
        out.push_str(&rest[..i + "string".len()]);
        let after = &rest[i + "string \"".len()..];
        let mut escaped = false;
        let mut end = after.len();
        for (j, c) in after.char_indices() {
            match c {
                '\\' if !escaped => escaped = true,
                '"' if !escaped => {
                    end = j + 1;
                    break;
                }
                _ => escaped = false,
            }
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// What `dualstream profile` prints.
pub enum Action {
    List,
    /// The named profile, else the chosen one (--profile, else the default).
    Show(Option<String>),
}

/// `dualstream profile list|show`, with where to look and what was chosen.
pub struct ProfileJob {
    pub action: Action,
    pub format: DocFormat,
    pub config: Option<PathBuf>,
    /// --profile or DUALSTREAM_PROFILE.
    pub chosen: Option<String>,
}

/// Print the config file's profiles, or one of them, secrets masked.
pub fn run(job: &ProfileJob, out: &Output) -> Result<Code> {
    let location = Location::find(job.config.as_deref());
    let file = location.load()?;
    let mut w = out.data(false);
    match &job.action {
        Action::List => {
            let (default, profiles) = match &file {
                Some(f) if f.profiles.is_empty() => {
                    out.info(&format!("no [profiles.NAME] table in {}", f.path.display()));
                    (None, &[][..])
                }
                Some(f) => (f.default.as_deref(), f.profiles.as_slice()),
                None => {
                    out.info(&format!("no config file at {}", location.shown()));
                    (None, &[][..])
                }
            };
            let path = file.as_ref().map(|f| f.path.display().to_string());
            let shown: Vec<ShownProfile> = profiles.iter().map(|p| shown(p, default)).collect();
            out.profile_list(&mut w, job.format, path.as_deref(), default, &shown)?;
        }
        Action::Show(name) => {
            let name = name.as_deref().or(job.chosen.as_deref());
            let Some(file) = file else {
                return Err(error::usage(match name {
                    Some(name) => {
                        format!("profile {name:?}: no config file at {}", location.shown())
                    }
                    None => format!("no config file at {}", location.shown()),
                }));
            };
            let Some(profile) = file.select(name)? else {
                return Err(error::usage(format!(
                    "{}: no profile named and no default: give NAME or --profile ({})",
                    file.path.display(),
                    names(&file.profiles)
                )));
            };
            let path = file.path.display().to_string();
            let shown = shown(profile, file.default.as_deref());
            out.profile_show(&mut w, job.format, &path, &shown)?;
        }
    }
    w.finish()?;
    Ok(Code::Success)
}

/// A profile as printed: the Redis URL without its password, and every
/// other value scrubbed of the profile's secret librdkafka properties.
fn shown(p: &Profile, default: Option<&str>) -> ShownProfile {
    let secrets = KafkaSettings {
        brokers: String::new(),
        from: crate::kafka::config::BrokersFrom::Default,
        properties: p.kafka.clone(),
        isolation: crate::kafka::config::Isolation::default(),
    };
    let clean = |v: &Option<String>| v.as_deref().map(|v| secrets.scrub(v));
    let kafka = p
        .kafka
        .iter()
        .map(|(k, v)| {
            let v = if crate::kafka::config::is_secret(k) {
                "<redacted>".to_string()
            } else {
                secrets.scrub(v)
            };
            (k.clone(), v)
        })
        .collect();
    ShownProfile {
        name: p.name.clone(),
        default: default == Some(p.name.as_str()),
        brokers: clean(&p.brokers),
        redis: p.redis.as_deref().map(|r| secrets.scrub(&display_url(r))),
        sharded: p.sharded,
        topic: clean(&p.topic),
        channel: clean(&p.channel),
        properties_file: p
            .properties_file
            .as_ref()
            .map(|f| secrets.scrub(&f.display().to_string())),
        kafka,
    }
}

#[cfg(test)]
mod tests;
