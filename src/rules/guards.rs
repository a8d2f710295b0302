//! Branches and modules, as the rules that judge references (`dangling-reference`,
//! `unresolved-class`) see them: under which branch choices a reference finds none of its
//! targets, how to say so, and which module a name or a file belongs to.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::layout;
use crate::model::{Condition, ConditionKind, GuardStep, Model, ResId};

/// The module a class or defined-type name belongs to: `apt::source` -> `apt`.
pub fn module_of(name: &str) -> String {
    let n = name.trim_start_matches("::");
    n.split("::").next().unwrap_or(n).to_ascii_lowercase()
}

/// The module directory a repository file lives in (`modules/k8s/manifests/x.pp` ->
/// `k8s`), through the model's modulepath (see [`layout::module_of_path`]). The root
/// `manifests/` of a module repository are not given the root module's name: code outside
/// modules is related to everything (`dangling-reference`), and one module holding the
/// whole repository would make every reference in it as lenient as its loosest use of an
/// external module.
pub fn module_of_file(m: &Model, path: &str) -> Option<String> {
    layout::module_of_path(&m.modulepath, path).map(str::to_owned)
}

/// The modules the repository defines a class or defined type of.
pub fn repo_modules(m: &Model) -> BTreeSet<String> {
    m.classes
        .keys()
        .chain(m.defines.keys())
        .map(|n| module_of(n))
        .collect()
}

/// A branch value standing for "another option of this `case`/selector".
pub const OTHER_BRANCH: u32 = u32::MAX;

/// The branch choices (one per condition) under which code guarded by `at` is compiled
/// while none of `targets` is declared: `None` when every compilation that contains the
/// reference also contains a target. An empty result means the targets sit only in
/// branches that exclude the reference. `node` bodies are not flipped (which node includes
/// which class is not known), nor `defined(…)` tests (the other branch is where the
/// resource already exists elsewhere), nor conditions that test a variable the
/// reference's own conditions test (they are correlated: `if $::osfamily == 'RedHat'` in
/// two files). Gives up (`None`) beyond 12 conditions.
pub fn unsatisfied_when(m: &Model, at: &[GuardStep], targets: &[ResId]) -> Option<Vec<GuardStep>> {
    let at_vars: BTreeSet<&str> = at
        .iter()
        .filter_map(|s| m.conditions.get(s.cond as usize))
        .flat_map(tested_facts)
        .collect();
    let node = |c: u32| {
        m.conditions.get(c as usize).map_or(true, |c| {
            c.kind == ConditionKind::Node
                || c.tests_defined
                || tested_facts(c).any(|v| at_vars.contains(v))
        })
    };
    let mut free: Vec<Vec<GuardStep>> = Vec::new();
    for &t in targets {
        let g = &m.get(t).guard;
        let conflicts = g
            .iter()
            .any(|s| at.iter().any(|a| a.cond == s.cond && a.branch != s.branch));
        if conflicts {
            continue;
        }
        let steps: Vec<GuardStep> = g
            .iter()
            .filter(|s| !at.contains(s) && !node(s.cond))
            .copied()
            .collect();
        if steps.is_empty() {
            return None;
        }
        free.push(steps);
    }
    if free.is_empty() {
        return Some(Vec::new());
    }
    let mut used: BTreeMap<u32, BTreeSet<u32>> = BTreeMap::new();
    for s in free.iter().flatten() {
        used.entry(s.cond).or_default().insert(s.branch);
    }
    if used.len() > 12 {
        return None;
    }
    let choices: Vec<(u32, Vec<u32>)> = used
        .iter()
        .map(|(&c, bs)| {
            let kind = m
                .conditions
                .get(c as usize)
                .map_or(ConditionKind::If, |x| x.kind);
            let vals = match kind {
                ConditionKind::If | ConditionKind::Unless => vec![0, 1],
                _ if bs.len() == 1 => bs.iter().copied().chain([OTHER_BRANCH]).collect(),
                _ => bs.iter().copied().collect(),
            };
            (c, vals)
        })
        .collect();
    let mut pick = vec![0usize; choices.len()];
    loop {
        let value = |cond: u32| {
            choices
                .iter()
                .position(|(c, _)| *c == cond)
                .map(|i| choices[i].1[pick[i]])
        };
        let all_absent = free
            .iter()
            .all(|steps| steps.iter().any(|s| value(s.cond) != Some(s.branch)));
        if all_absent {
            return Some(
                choices
                    .iter()
                    .zip(&pick)
                    .map(|((c, vals), &i)| GuardStep {
                        cond: *c,
                        branch: vals[i],
                    })
                    .collect(),
            );
        }
        // Next combination.
        let mut i = 0;
        loop {
            if i == pick.len() {
                return None;
            }
            pick[i] += 1;
            if pick[i] < choices[i].1.len() {
                break;
            }
            pick[i] = 0;
            i += 1;
        }
    }
}

/// What a condition tests, for telling correlated conditions apart: each variable it
/// reads by its last segment (a class parameter `$apache::version` gives `version`),
/// `$facts['os']` by the fact's name, and the legacy facts of the operating system
/// (`$::osfamily`, `$::operatingsystem`, …) as `os`, the modern fact holding them.
fn tested_facts(c: &Condition) -> impl Iterator<Item = &str> + '_ {
    c.variables.iter().filter_map(|v| {
        let name = v.name.trim_start_matches("::");
        let last = name.rsplit("::").next().unwrap_or(name);
        let fact = match (last, &v.key) {
            ("facts", Some(k)) => k.as_str(),
            _ => last,
        };
        let fact = match fact {
            "osfamily"
            | "operatingsystem"
            | "operatingsystemrelease"
            | "operatingsystemmajrelease"
            | "lsbdistcodename"
            | "lsbdistid" => "os",
            f => f,
        };
        (!fact.is_empty()).then_some(fact)
    })
}

/// `` `if $use_package` takes the else branch``, for messages.
pub fn describe_steps(m: &Model, steps: &[GuardStep]) -> String {
    let parts: Vec<String> = steps
        .iter()
        .map(|s| match m.conditions.get(s.cond as usize) {
            Some(c) => {
                let branch = match (c.kind, s.branch) {
                    (ConditionKind::If, 0) | (ConditionKind::Unless, 1) => "is true".to_owned(),
                    (ConditionKind::If | ConditionKind::Unless, _) => "is false".to_owned(),
                    (_, OTHER_BRANCH) => "matches another option".to_owned(),
                    (_, b) => match c.option_text(b) {
                        Some(text) => return text,
                        None => format!("takes option {}", b + 1),
                    },
                };
                format!("`{}` {branch}", c.subject)
            }
            None => format!("condition {} takes branch {}", s.cond, s.branch),
        })
        .collect();
    parts.join(" and ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ModelOptions;

    fn model_of(pp: &str) -> Model {
        let path = "modules/demo/manifests/init.pp";
        crate::model::testing::model_at(path, pp, &ModelOptions::default())
    }

    #[test]
    fn modules_of_names_and_files() {
        assert_eq!(module_of("::Apt::Source"), "apt");
        assert_eq!(module_of("ntp"), "ntp");
        let mut m = Model::default();
        m.modulepath = vec!["modules".into(), "vendor/".into()];
        assert_eq!(
            module_of_file(&m, "vendor/apt/manifests/init.pp").as_deref(),
            Some("apt")
        );
        assert_eq!(module_of_file(&m, "manifests/site.pp"), None);
    }

    #[test]
    fn condition_variables() {
        let m = model_of(
            "class demo($service_name) {\n  if $::osfamily == 'RedHat' and $facts['os']['release'] { file { '/a': } }\n  if $service_name == $::neutron::params::server_service { file { '/b': } }\n  if defined_with_params(Package['x'], {}) { file { '/c': } }\n  case $facts['kernel'] { 'Linux': { file { '/d': } } default: {} }\n}\n",
        );
        let facts: Vec<Vec<&str>> = m
            .conditions
            .iter()
            .map(|c| tested_facts(c).collect())
            .collect();
        assert_eq!(
            facts,
            vec![
                vec!["os", "os"],
                vec!["service_name", "server_service"],
                vec![],
                vec!["kernel"],
            ]
        );
        assert_eq!(m.conditions[0].variables[0].name, "::osfamily");
        assert_eq!(
            m.conditions[1].variables[1].name,
            "::neutron::params::server_service"
        );
        assert_eq!(
            m.conditions
                .iter()
                .map(|c| c.tests_defined)
                .collect::<Vec<_>>(),
            vec![false, false, true, false]
        );
        assert_eq!(m.conditions[3].kind, ConditionKind::Case);
    }

    #[test]
    fn branches_are_named_by_their_options() {
        let m = model_of("class demo {\n  case $::osfamily {\n    'RedHat', 'Suse': { file { '/a': } }\n    default: { file { '/b': } }\n  }\n}\nnode 'spinach' { include demo }\nnode default { }\n");
        let said = |path: &str| {
            let r = m
                .resources
                .iter()
                .find(|r| r.title.as_str() == Some(path))
                .expect(path);
            describe_steps(&m, &r.guard)
        };
        assert_eq!(said("/a"), "`$::osfamily` matches 'RedHat', 'Suse'");
        assert_eq!(
            said("/b"),
            "`$::osfamily` matches none of the other options"
        );
        let node = m
            .conditions
            .iter()
            .find(|c| c.kind == ConditionKind::Node)
            .expect("node");
        assert_eq!(
            node.option_text(0).as_deref(),
            Some("the node is 'spinach'")
        );
        assert_eq!(
            node.option_text(1).as_deref(),
            Some("the node falls to `node default`")
        );
    }
}
