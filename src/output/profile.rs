//! `dualstream profile list|show`: the config file's profiles as tables or
//! JSON on stdout. `profile.rs` reads the file and masks every secret; what
//! reaches here is already safe to print, and only its shape is decided here.

use std::io;

use serde_json::{json, Map, Value};

use super::{Data, DocFormat, Output};

/// A profile as it may be shown: the Redis URL without its password, every
/// other value scrubbed of the profile's secret librdkafka properties.
#[derive(Debug, Default)]
pub struct ShownProfile {
    pub name: String,
    /// It is the file's `default`.
    pub default: bool,
    pub brokers: Option<String>,
    pub redis: Option<String>,
    pub sharded: Option<bool>,
    pub topic: Option<String>,
    pub channel: Option<String>,
    pub properties_file: Option<String>,
    /// librdkafka properties in the file's order, secret ones `<redacted>`.
    pub kafka: Vec<(String, String)>,
}

impl ShownProfile {
    /// The librdkafka properties by key, in the file's order (a key given
    /// twice keeps its first place and its last value).
    fn kafka_map(&self) -> Map<String, Value> {
        self.kafka
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect()
    }

    /// The profile's JSON object: `sharded` only when the file sets it.
    fn json(&self) -> Value {
        let mut doc = json!({
            "name": self.name,
            "default": self.default,
            "brokers": self.brokers,
            "redis": self.redis,
            "topic": self.topic,
            "channel": self.channel,
            "properties_file": self.properties_file,
            "kafka": self.kafka_map(),
        });
        if let Some(on) = self.sharded {
            doc["sharded"] = json!(on);
        }
        doc
    }
}

impl Output {
    /// `profile list`: every profile of the file at `file` (none when there
    /// is no file), its `default` marked. The table is left out when there
    /// is no profile; the JSON document is always printed.
    pub fn profile_list(
        &self,
        w: &mut Data,
        format: DocFormat,
        file: Option<&str>,
        default: Option<&str>,
        profiles: &[ShownProfile],
    ) -> io::Result<()> {
        match format {
            DocFormat::Json => {
                let doc = json!({
                    "file": file,
                    "default": default,
                    "profiles": profiles.iter().map(ShownProfile::json).collect::<Vec<_>>(),
                });
                self.json_document(w, &doc)
            }
            DocFormat::Table => {
                if profiles.is_empty() {
                    return Ok(());
                }
                let cell = |v: &Option<String>| v.clone().unwrap_or_default();
                let rows = profiles
                    .iter()
                    .map(|p| {
                        let mark = if p.default { " (default)" } else { "" };
                        vec![
                            format!("{}{mark}", p.name),
                            cell(&p.brokers),
                            cell(&p.redis),
                            cell(&p.topic),
                        ]
                    })
                    .collect();
                let title = file.map_or_else(String::new, |f| format!("Profiles in {f}"));
                self.report_table(w, &title, &["profile", "brokers", "redis", "topic"], rows)
            }
        }
    }

    /// `profile show`: one profile of the file at `file`, key by key.
    pub fn profile_show(
        &self,
        w: &mut Data,
        format: DocFormat,
        file: &str,
        p: &ShownProfile,
    ) -> io::Result<()> {
        match format {
            DocFormat::Json => {
                let mut doc = p.json();
                doc["file"] = json!(file);
                self.json_document(w, &doc)
            }
            DocFormat::Table => {
                let mut rows = Vec::new();
                let mut add = |key: &str, v: &Option<String>| {
                    if let Some(v) = v {
                        rows.push(vec![key.to_string(), v.clone()]);
                    }
                };
                add("brokers", &p.brokers);
                add("redis", &p.redis);
                add("sharded", &p.sharded.map(|on| on.to_string()));
                add("topic", &p.topic);
                add("channel", &p.channel);
                add("properties-file", &p.properties_file);
                for (k, v) in p.kafka_map() {
                    rows.push(vec![
                        format!("kafka.{k}"),
                        v.as_str().unwrap_or("").to_string(),
                    ]);
                }
                let default = if p.default { " (default)" } else { "" };
                let title = format!("Profile {}{default} in {file}", p.name);
                self.report_table(w, &title, &["", ""], rows)
            }
        }
    }
}
