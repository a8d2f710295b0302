//! Which variable names a node brings with it rather than the code: Puppet's built-in
//! variables, Facter's core facts (legacy and modern top-level names), the facts of the
//! modules almost every repository runs with, and the custom and external facts the
//! repository itself defines (`Facter.add` in `lib/facter/*.rb`, files under `facts.d/`).
//! The evaluator asks [`NodeVariables::provides`] before it calls a variable undefined.

use std::collections::HashSet;

use crate::input::Tree;

/// Variables Puppet sets on every compilation (the agent's and the server's), besides the
/// facts.
const BUILT_IN: &[&str] = &[
    "title",
    "name",
    "module_name",
    "caller_module_name",
    "environment",
    "clientcert",
    "clientversion",
    "clientnoop",
    "agent_specified_environment",
    "servername",
    "serverip",
    "serverversion",
    "server_facts",
    "settings",
    "trusted",
    "facts",
    "puppetversion",
];

/// Facter's core facts: the modern top-level names and the legacy flat ones (Facter 1–4).
const CORE_FACTS: &[&str] = &[
    // Modern (structured) top-level facts.
    "aio_agent_version",
    "augeas",
    "az_metadata",
    "cloud",
    "disks",
    "dmi",
    "ec2_metadata",
    "ec2_userdata",
    "env_windows_installdir",
    "facterversion",
    "filesystems",
    "fips_enabled",
    "gce",
    "hypervisors",
    "identity",
    "is_virtual",
    "kernel",
    "kernelmajversion",
    "kernelrelease",
    "kernelversion",
    "ldom",
    "load_averages",
    "memory",
    "mountpoints",
    "networking",
    "nim_type",
    "os",
    "partitions",
    "path",
    "processors",
    "ruby",
    "solaris_zones",
    "ssh",
    "system_profiler",
    "system_uptime",
    "timezone",
    "virtual",
    "xen",
    "zfs_featurenumbers",
    "zfs_version",
    "zpool_featureflags",
    "zpool_featurenumbers",
    "zpool_version",
    // Legacy flat facts.
    "architecture",
    "augeasversion",
    "blockdevices",
    "bios_release_date",
    "bios_vendor",
    "bios_version",
    "boardassettag",
    "boardmanufacturer",
    "boardproductname",
    "boardserialnumber",
    "chassisassettag",
    "chassistype",
    "dhcp_servers",
    "domain",
    "fqdn",
    "gid",
    "hardwareisa",
    "hardwaremodel",
    "hostname",
    "id",
    "interfaces",
    "ipaddress",
    "ipaddress6",
    "iphostnumber",
    "macaddress",
    "manufacturer",
    "memoryfree",
    "memoryfree_mb",
    "memorysize",
    "memorysize_mb",
    "memorytotal",
    "netmask",
    "netmask6",
    "network",
    "network6",
    "operatingsystem",
    "operatingsystemmajrelease",
    "operatingsystemrelease",
    "osfamily",
    "physicalprocessorcount",
    "processorcount",
    "productname",
    "ps",
    "rubyplatform",
    "rubysitedir",
    "rubyversion",
    "selinux",
    "serialnumber",
    "swapencrypted",
    "swapfree",
    "swapfree_mb",
    "swapsize",
    "swapsize_mb",
    "system32",
    "uniqueid",
    "uptime",
    "uptime_days",
    "uptime_hours",
    "uptime_seconds",
    "uuid",
    "vlans",
    "xendomains",
    "zonename",
    "zones",
    "cfkey",
    "hostid",
];

/// Prefixes of fact families named after a device, interface, key type or sub-key
/// (`ipaddress_eth0`, `blockdevice_sda_size`, `sshrsakey`, `lsbdistcodename`), and of the
/// facts that the modules nearly every repository installs from the Forge define
/// (`stdlib`'s `puppet_vardir`, `concat`'s `concat_basedir`, `apt`'s `apt_updates`,
/// `java`, `python`, `systemd`, `firewall`), which a repository listing them in a
/// `Puppetfile` does not show.
const FACT_PREFIXES: &[&str] = &[
    "blockdevice_",
    "ipaddress_",
    "ipaddress6_",
    "macaddress_",
    "mtu_",
    "netmask_",
    "netmask6_",
    "network_",
    "network6_",
    "scope6",
    "processor",
    "sp_",
    "ssh",
    "lsb",
    "ec2_",
    "gce_",
    "macosx_",
    "selinux_",
    "zfs_",
    "zpool_",
    "ldom_",
    "xen",
    "dmi_",
    "os_",
    "operatingsystem",
    "kernel",
    "memory",
    "swap",
    "uptime",
    // Forge modules' facts.
    "puppet_",
    "pe_",
    "is_pe",
    "root_home",
    "concat_",
    "package_provider",
    "service_provider",
    "facter_dot_d",
    "apt_",
    "java_",
    "python",
    "pip_",
    "virtualenv_",
    "systemd",
    "iptables",
    "ip6tables",
    "staging_",
    "mysql_",
    "postgres_",
    "rabbitmq_",
    "apache_version",
    "nginx_version",
    "docker",
    "archive_",
];

/// What a node brings: built-in variables, facts and the repository's own custom and
/// external facts.
#[derive(Clone, Debug, Default)]
pub struct NodeVariables {
    /// Fact names the repository defines (`Facter.add(:name)`, external facts).
    names: HashSet<String>,
    /// Prefixes of fact names built at run time (`Facter.add("disk_#{d}")`).
    prefixes: Vec<String>,
}

impl NodeVariables {
    /// The custom facts of `tree`: every `lib/facter/**.rb` of a module and every file under
    /// a `facts.d/` directory.
    pub fn read(tree: &Tree) -> NodeVariables {
        let mut out = NodeVariables::default();
        for (path, entry) in &tree.files {
            let ruby = path.contains("lib/facter/") && path.ends_with(".rb");
            let external = path.contains("facts.d/");
            if !ruby && !external {
                continue;
            }
            let Some(text) = entry.blob.text() else {
                continue;
            };
            if ruby {
                out.read_ruby(text);
            } else {
                out.read_external(text);
            }
        }
        out
    }

    /// `Facter.add(:name)`, `Facter.add('name')`, `Facter.add("pre_#{x}")`. A name Facter
    /// gets from a variable is unknown: every identifier-like string of that file counts.
    fn read_ruby(&mut self, text: &str) {
        let mut dynamic = false;
        for (i, _) in text.match_indices("Facter.add") {
            let rest = text[i + "Facter.add".len()..].trim_start();
            let rest = rest.strip_prefix('(').unwrap_or(rest).trim_start();
            let (quoted, body) = match rest.chars().next() {
                Some(':') => (false, &rest[1..]),
                Some('\'' | '"') => (true, &rest[1..]),
                _ => {
                    dynamic = true;
                    continue;
                }
            };
            let name: String = body
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if quoted && body[name.len()..].starts_with("#{") {
                self.prefixes.push(name.to_ascii_lowercase());
            } else if !name.is_empty() {
                self.names.insert(name.to_ascii_lowercase());
            }
        }
        if dynamic {
            for word in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
                if !word.is_empty() && !word.starts_with(|c: char| c.is_ascii_digit()) {
                    self.names.insert(word.to_ascii_lowercase());
                }
            }
        }
    }

    /// `key=value` (text, scripts' output), `key: value` (YAML), `"key": value` (JSON):
    /// every name at the start of a line before `=` or `:`.
    fn read_external(&mut self, text: &str) {
        for line in text.lines() {
            let line = line.trim_start().trim_start_matches(['"', '\'', '{', ',']);
            let line = line.strip_prefix("echo ").unwrap_or(line).trim_start();
            let line = line.trim_start_matches(['"', '\'']);
            let name: String = line
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let after = line[name.len()..]
                .trim_start_matches(['"', '\''])
                .trim_start();
            if !name.is_empty() && (after.starts_with('=') || after.starts_with(':')) {
                self.names.insert(name.to_ascii_lowercase());
            }
        }
    }

    /// Whether `name` (unqualified, without `$` or `::`) is a built-in variable, a fact
    /// or a regex capture (`$1`): something the node or the compiler sets, not the code.
    pub fn provides(&self, name: &str) -> bool {
        let lower = name.to_ascii_lowercase();
        lower.bytes().all(|b| b.is_ascii_digit())
            || BUILT_IN.contains(&lower.as_str())
            || CORE_FACTS.contains(&lower.as_str())
            || FACT_PREFIXES.iter().any(|p| lower.starts_with(p))
            || self.names.contains(&lower)
            || self.prefixes.iter().any(|p| lower.starts_with(p.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_facts_built_ins_and_captures() {
        let n = NodeVariables::default();
        for v in [
            "osfamily",
            "fqdn",
            "ipaddress_eth0",
            "lsbdistcodename",
            "title",
            "0",
            "2",
            "sshrsakey",
            "concat_basedir",
        ] {
            assert!(n.provides(v), "{v}");
        }
        for v in ["prefix", "install_dir", "base", "port"] {
            assert!(!n.provides(v), "{v}");
        }
    }

    #[test]
    fn custom_facts() {
        let mut n = NodeVariables::default();
        n.read_ruby(
            "Facter.add(:role) do\n setcode { 'x' }\nend\nFacter.add('data_dir') do\nend\n\
             Facter.add(\"disk_#{d}\") do\nend\n",
        );
        n.read_external("site=paris\n---\nrack: 12\n{\"row\": 3}\n");
        for v in ["role", "data_dir", "disk_sda", "site", "rack", "row"] {
            assert!(n.provides(v), "{v}");
        }
        assert!(!n.provides("prefix"));
        let mut d = NodeVariables::default();
        d.read_ruby("['app_home', 'app_port'].each do |f|\n  Facter.add(f) do\n  end\nend\n");
        assert!(d.provides("app_home"));
    }
}
