#!/usr/bin/env python3
"""Generate a large Puppet control repository with a history, for benchmarks.

usage: scripts/gen-large-repo.py OUT_DIR [--manifests N] [--nodes N] [--commits N]
                                 [--hiera-keys N] [--seed S]

OUT_DIR must not exist; it becomes a git repository shaped like a big operations
repository (the shape that made per-commit checks slow: many services with systemd
unit templates, a big site.pp, large hieradata, defines instantiated thousands of
times):

  modules/mNNNN/       one module per 10 manifests: init/install/config/service
                       classes, a define, a few extra classes; an ERB systemd unit
                       template whose ExecStart= runs the module's daemon, a config
                       template, a deploy script under files/; a third of the modules
                       deploy the daemon as a file resource, the others install a
                       package (named like the service or not); links
                       in /usr/bin, execs with `creates`, cross-module includes
  modules/role, modules/profile
                       role/profile classes including modules
  modules/monitoring   a define every node instantiates many times (nagios_service,
                       augeas per check)
  manifests/site.pp    --nodes node blocks (default 400) with roles, define instances,
                       nagios_service and augeas resources
  hieradata/           common.yaml with --hiera-keys keys, one YAML file per node

--manifests N (default 20,000) counts the .pp files. The first commit imports the
tree; then --commits one-file changes follow (default 30): a class parameter, a unit
template, a hiera value, a node block, a new file resource, a config template, a
service's binary path. The run is reproducible (fixed dates and seed). Prints the
commit range at the end.
"""

import argparse
import os
import random
import subprocess
import sys


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def module(name, i, n_modules, extra):
    """The files of module `name` (index i): {relative path: text}."""
    # A third deploy the daemon as a file; a third install a package named like the
    # service; a third a package named otherwise (nothing says it ships the daemon).
    by_file = i % 3 == 0
    package = name if i % 3 == 1 else f"{name}-server"
    daemon = f"/usr/local/bin/{name}-d" if by_file else f"/usr/sbin/{name}d"
    deps = sorted({(i * 7 + 3) % n_modules, (i * 13 + 5) % n_modules} - {i})
    includes = "\n".join(f"  include m{d:05d}::install" for d in deps)
    files = {}
    files["manifests/init.pp"] = f"""# {name}: a generated service module.
class {name} (
  String  $version = '1.{i}.0',
  Boolean $enable  = true,
  String  $binary  = '{daemon}',
  Integer $port    = {8000 + i % 1000},
  Hash    $options = {{}},
) {{
  contain {name}::install
  contain {name}::config
  contain {name}::service
  Class['{name}::install'] -> Class['{name}::config'] ~> Class['{name}::service']
{includes}
}}
"""
    if by_file:
        install = f"""class {name}::install {{
  file {{ $::{name}::binary:
    ensure => file,
    source => 'puppet:///modules/{name}/{name}-d',
    mode   => '0755',
    owner  => 'root',
  }}
  file {{ '/usr/bin/{name}':
    ensure => link,
    target => $::{name}::binary,
  }}
  file {{ '/usr/local/sbin/{name}-deploy':
    ensure => file,
    source => 'puppet:///modules/{name}/deploy.sh',
    mode   => '0755',
  }}
  exec {{ '{name}-fetch-data':
    command => '/usr/local/sbin/{name}-deploy',
    creates => '/var/lib/{name}/data',
    require => File['/usr/local/sbin/{name}-deploy'],
  }}
}}
"""
    else:
        install = f"""class {name}::install {{
  package {{ '{package}':
    ensure => $::{name}::version,
  }}
  if $::{name}::enable {{
    file {{ '/etc/default/{name}':
      ensure  => file,
      content => "DAEMON_OPTS='--port ${{::{name}::port}}'\\n",
    }}
  }} else {{
    file {{ '/etc/default/{name}':
      ensure => absent,
    }}
  }}
}}
"""
    files["manifests/install.pp"] = install
    files["manifests/config.pp"] = f"""class {name}::config (
  String $log_level = lookup('{name}::log_level', String, 'first', 'info'),
) {{
  $options = $::{name}::options
  file {{ ['/etc/{name}', '/var/lib/{name}', '/var/log/{name}']:
    ensure => directory,
    owner  => 'root',
  }}
  file {{ '/etc/{name}/{name}.conf':
    ensure  => file,
    content => template('{name}/{name}.conf.erb'),
    mode    => '0644',
  }}
  {name}::instance {{ 'default':
    port => $::{name}::port,
  }}
}}
"""
    files["manifests/service.pp"] = f"""class {name}::service {{
  $binary = $::{name}::binary
  $port   = $::{name}::port
  file {{ '/etc/systemd/system/{name}.service':
    ensure  => file,
    content => template('{name}/{name}.service.erb'),
    notify  => Service['{name}'],
  }}
  service {{ '{name}':
    ensure  => running,
    enable  => $::{name}::enable,
    require => [File['/etc/{name}/{name}.conf'], Class['{name}::install']],
  }}
}}
"""
    files["manifests/instance.pp"] = f"""define {name}::instance (
  Integer $port,
  String  $dir = "/srv/{name}/${{title}}",
  String  $user = '{name}',
) {{
  file {{ $dir:
    ensure => directory,
    owner  => $user,
  }}
  file {{ "${{dir}}/instance.conf":
    ensure  => file,
    content => "port=${{port}}\\n",
    require => File[$dir],
  }}
}}
"""
    files["manifests/params.pp"] = f"""class {name}::params {{
  $config_dir = '/etc/{name}'
  $data_dir   = '/var/lib/{name}'
  case $facts['os']['family'] {{
    'Debian': {{ $package = '{name}' }}
    'RedHat': {{ $package = '{name}-server' }}
    default:  {{ fail("unsupported: ${{facts['os']['family']}}") }}
  }}
}}
"""
    for k in range(extra):
        files[f"manifests/extra/part{k}.pp"] = f"""class {name}::extra::part{k} (
  Boolean $enabled = {'true' if k % 3 else 'false'},
) {{
  include {name}::params
  if $enabled {{
    file {{ '/etc/{name}/conf.d/part{k}.conf':
      ensure  => file,
      content => "# part {k}\\nvalue=${{{name}::params::data_dir}}\\n",
    }}
  }}
  cron {{ '{name}-part{k}':
    command => '/usr/bin/{name} --part {k}',
    hour    => {k % 24},
  }}
}}
"""
    # Most unit templates name the daemon literally; some through a variable.
    exec_path = "<%= @binary %>" if i % 5 == 4 else daemon
    files[f"templates/{name}.service.erb"] = f"""[Unit]
Description={name} daemon
After=network.target

[Service]
Type=simple
EnvironmentFile=-/etc/default/{name}
ExecStart={exec_path} --config /etc/{name}/{name}.conf --port <%= @port %>
ExecReload=/bin/kill -HUP $MAINPID
Restart=on-failure

[Install]
WantedBy=multi-user.target
"""
    files[f"templates/{name}.conf.erb"] = (
        f"# {name}\nlog_level = <%= @log_level %>\n"
        + "".join(f"option_{k} = <%= @options['{k}'] rescue '' %>\n" for k in range(5))
    )
    if by_file:
        files[f"files/{name}-d"] = f"#!/bin/sh\nexec /opt/{name}/bin/run \"$@\"\n"
        files["files/deploy.sh"] = (
            f"#!/bin/sh\nset -e\nmkdir -p /var/lib/{name}\n"
            f"curl -fsS https://example.org/{name}.tar.gz | tar -xz -C /var/lib/{name}\n"
            f"touch /var/lib/{name}/data\n"
        )
    return files


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--manifests", type=int, default=20000)
    ap.add_argument("--nodes", type=int, default=400)
    ap.add_argument("--commits", type=int, default=30)
    ap.add_argument("--hiera-keys", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    if os.path.exists(a.out):
        sys.exit(f"gen-large-repo.py: {a.out} already exists")
    rnd = random.Random(a.seed)
    per_module = 10
    n_modules = max(4, a.manifests // per_module)
    extra = per_module - 6
    out = a.out
    for i in range(n_modules):
        name = f"m{i:05d}"
        for rel, text in module(name, i, n_modules, extra).items():
            write(os.path.join(out, "modules", name, rel), text)
    # Roles and profiles: each profile includes 8 modules, each role 4 profiles.
    n_profiles = max(1, n_modules // 8)
    for p in range(n_profiles):
        mods = "\n".join(f"  include m{(p * 8 + k) % n_modules:05d}" for k in range(8))
        write(
            os.path.join(out, "modules/profile/manifests", f"p{p:04d}.pp"),
            f"class profile::p{p:04d} {{\n{mods}\n}}\n",
        )
    n_roles = max(1, n_profiles // 4)
    for r in range(n_roles):
        profs = "\n".join(f"  include profile::p{(r * 4 + k) % n_profiles:04d}" for k in range(4))
        write(
            os.path.join(out, "modules/role/manifests", f"r{r:04d}.pp"),
            f"class role::r{r:04d} {{\n{profs}\n}}\n",
        )
    write(
        os.path.join(out, "modules/monitoring/manifests/check.pp"),
        """define monitoring::check (
  String $host,
  String $command = "check_${title}",
  Integer $interval = 5,
) {
  nagios_service { "${host}-${title}":
    host_name           => $host,
    check_command       => $command,
    normal_check_interval => $interval,
    target              => "/etc/nagios/conf.d/${host}.cfg",
  }
  augeas { "${host}-${title}-sysctl":
    context => '/files/etc/sysctl.conf',
    changes => "set net.core.${title} ${interval}",
  }
}
""",
    )
    # site.pp: node blocks with roles and many define instances.
    nodes = []
    for n in range(a.nodes):
        host = f"host{n:04d}.example.org"
        role = rnd.randrange(n_roles)
        checks = "\n".join(
            f"  monitoring::check {{ 'c{c}': host => '{host}', interval => {c % 10 + 1} }}"
            for c in range(12)
        )
        inst = "\n".join(
            f"  m{(n + k) % n_modules:05d}::instance {{ 'n{n}-{k}': port => {9000 + k} }}"
            for k in range(3)
        )
        nodes.append(
            f"node '{host}' {{\n  include role::r{role:04d}\n{checks}\n{inst}\n"
            f"  nagios_host {{ '{host}': address => '10.0.{n // 250}.{n % 250}' }}\n}}\n"
        )
    write(
        os.path.join(out, "manifests/site.pp"),
        "# Generated site manifest.\nFile { backup => false }\n\nnode default {\n"
        "  include role::r0000\n}\n\n" + "\n".join(nodes),
    )
    # Hieradata.
    lines = ["---"]
    for k in range(a.hiera_keys):
        m = k % n_modules
        lines.append(f"m{m:05d}::option_{k}: 'value-{k}'")
    for m in range(n_modules):
        lines.append(f"m{m:05d}::log_level: '{'debug' if m % 5 == 0 else 'info'}'")
    write(os.path.join(out, "hieradata/common.yaml"), "\n".join(lines) + "\n")
    for n in range(a.nodes):
        write(
            os.path.join(out, f"hieradata/nodes/host{n:04d}.example.org.yaml"),
            "---\n"
            + "".join(f"m{(n * 3 + k) % n_modules:05d}::port: {7000 + k}\n" for k in range(10)),
        )
    write(
        os.path.join(out, "hiera.yaml"),
        "---\nversion: 5\ndefaults:\n  datadir: hieradata\n  data_hash: yaml_data\n"
        "hierarchy:\n  - name: nodes\n    path: 'nodes/%{trusted.certname}.yaml'\n"
        "  - name: common\n    path: common.yaml\n",
    )
    write(os.path.join(out, "environment.conf"), "modulepath = modules\n")

    env = dict(os.environ)
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL="/dev/null",
        GIT_AUTHOR_NAME="gen",
        GIT_AUTHOR_EMAIL="gen@example.org",
        GIT_COMMITTER_NAME="gen",
        GIT_COMMITTER_EMAIL="gen@example.org",
        GIT_AUTHOR_DATE="2016-12-20T10:00:00Z",
        GIT_COMMITTER_DATE="2016-12-20T10:00:00Z",
    )

    def git(*args):
        subprocess.run(["git", "-C", out, *args], check=True, env=env, stdout=subprocess.DEVNULL)

    git("init", "-q", "-b", "main")
    git("config", "gc.auto", "0")
    git("add", "-A")
    git("commit", "-q", "-m", "import generated repository")
    root = subprocess.run(
        ["git", "-C", out, "rev-parse", "HEAD"], check=True, env=env, capture_output=True, text=True
    ).stdout.strip()

    def edit(rel, old, new):
        p = os.path.join(out, rel)
        with open(p) as f:
            text = f.read()
        if old not in text:
            raise SystemExit(f"gen-large-repo.py: {old!r} not in {rel}")
        with open(p, "w") as f:
            f.write(text.replace(old, new, 1))

    for c in range(a.commits):
        i = rnd.randrange(n_modules)
        name = f"m{i:05d}"
        kind = c % 7
        if kind == 0:
            edit(f"modules/{name}/manifests/init.pp", f"$port    = ", f"$port    = 1 + ")
            msg = f"{name}: move the port"
        elif kind == 1:
            edit(f"modules/{name}/templates/{name}.service.erb", "Restart=on-failure",
                 f"Restart=always\nRestartSec={c}")
            msg = f"{name}: restart always"
        elif kind == 2:
            edit("hieradata/common.yaml", f"{name}::log_level: ", f"{name}::log_level: 'warn' #")
            msg = f"hiera: {name} log level"
        elif kind == 3:
            n = rnd.randrange(a.nodes)
            edit("manifests/site.pp", f"node 'host{n:04d}.example.org' {{\n",
                 f"node 'host{n:04d}.example.org' {{\n  include m{i:05d}\n")
            msg = f"site: host{n:04d} gets {name}"
        elif kind == 4:
            p = f"modules/{name}/manifests/extra/part0.pp"
            edit(p, "  cron {", f"  file {{ '/etc/{name}/extra-{c}':\n    ensure => file,\n"
                 f"    content => 'x',\n  }}\n  cron {{")
            msg = f"{name}: an extra file"
        elif kind == 5:
            edit(f"modules/{name}/templates/{name}.conf.erb", "log_level", "level")
            msg = f"{name}: config key renamed"
        else:
            edit(f"modules/{name}/manifests/service.pp", "ensure  => running,",
                 "ensure  => running,\n    hasrestart => true,")
            msg = f"{name}: hasrestart"
        git("commit", "-q", "-am", msg)
    head = subprocess.run(
        ["git", "-C", out, "rev-parse", "HEAD"], check=True, env=env, capture_output=True, text=True
    ).stdout.strip()
    git("gc", "-q")
    count = sum(
        1 for d, _, fs in os.walk(os.path.join(out, "modules")) for f in fs if f.endswith(".pp")
    ) + 1
    print(f"{out}: {count} manifests, {a.nodes} nodes, commits {root}..{head}")


if __name__ == "__main__":
    main()
