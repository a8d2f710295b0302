//! What the service and link rules detect, as data shared between rules.
//!
//! `service-binary-relinked`, `service-binary-missing`, `service-binary-unmanaged`,
//! `link-over-binary` and `empty-binary` each split into `detect(cx) -> Vec<…>` (a typed
//! hazard: the resource it is about, the paths, the resources involved, the locations)
//! and `render(cx, rule, hazard, voice) -> Finding`; `check` is the two in a row.
//! `unsafe-revert` runs `detect` on the reversed change and works with [`Hazard`]s: it
//! groups them by [`ResourceKey`], judges them by kind, and renders them in the voice of
//! the revert ([`Voice::Revert`]).

use crate::diagnostic::{Finding, ResourceKey, Side};
use crate::model::{Model, ResId, Resource, Value};

use super::empty_binary::EmptyBinary;
use super::link_over_binary::LinkOverBinary;
use super::service_binary_missing::BinaryMissing;
use super::service_binary_relinked::Relinked;
use super::service_binary_unmanaged::Unmanaged;
use super::{Context, Rule};

impl From<&Resource> for ResourceKey {
    fn from(r: &Resource) -> Self {
        let title = match &r.title {
            Value::Str(s) => s.to_string(),
            v => v.to_string(),
        };
        ResourceKey {
            ty: r.ty.clone(),
            title,
        }
    }
}

/// Whether `r` is the resource `key` names.
pub(crate) fn is_key(r: &Resource, key: &ResourceKey) -> bool {
    r.ty == key.ty
        && match &r.title {
            Value::Str(s) => s.as_str() == key.title,
            v => v.to_string() == key.title,
        }
}

/// The live resources of `m` that `key` names.
pub(crate) fn named(m: &Model, key: &ResourceKey) -> Vec<ResId> {
    m.live_resources()
        .filter(|(_, r)| is_key(r, key))
        .map(|(id, _)| id)
        .collect()
}

/// Whose action a rendered hazard describes: the change being checked, or a `git revert`
/// of it (then the context is the reversed change, and its base revision is this
/// change's head).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Voice {
    Change,
    Revert,
}

impl Voice {
    /// `this change` / `the revert`: the actor.
    pub fn actor(self) -> &'static str {
        match self {
            Voice::Change => "this change",
            Voice::Revert => "the revert",
        }
    }

    /// `the same change` / `the revert`: the actor, named a second time.
    pub fn same(self) -> &'static str {
        match self {
            Voice::Change => "the same change",
            Voice::Revert => "the revert",
        }
    }

    /// `in the base revision` / `before the revert`: the state the actor starts from.
    pub fn before(self) -> &'static str {
        match self {
            Voice::Change => "in the base revision",
            Voice::Revert => "before the revert",
        }
    }
}

/// A hazard of one of the five rules `unsafe-revert` runs in reverse.
pub(crate) enum Hazard {
    Relinked(Relinked),
    Missing(BinaryMissing),
    Unmanaged(Unmanaged),
    LinkOverBinary(LinkOverBinary),
    EmptyBinary(EmptyBinary),
}

impl Hazard {
    /// Every hazard of the five rules: the service rules first, then the file rules.
    pub fn detect_all(cx: &Context<'_>) -> Vec<Hazard> {
        let mut out: Vec<Hazard> = Vec::new();
        out.extend(
            super::service_binary_relinked::detect(cx)
                .into_iter()
                .map(Hazard::Relinked),
        );
        out.extend(
            super::service_binary_missing::detect(cx)
                .into_iter()
                .map(Hazard::Missing),
        );
        out.extend(
            super::service_binary_unmanaged::detect(cx)
                .into_iter()
                .map(Hazard::Unmanaged),
        );
        out.extend(
            super::link_over_binary::detect(cx)
                .into_iter()
                .map(Hazard::LinkOverBinary),
        );
        out.extend(
            super::empty_binary::detect(cx)
                .into_iter()
                .map(Hazard::EmptyBinary),
        );
        out
    }

    /// The rule that reports it.
    pub fn rule(&self) -> &'static Rule {
        match self {
            Hazard::Relinked(_) => &super::service_binary_relinked::RULE,
            Hazard::Missing(_) => &super::service_binary_missing::RULE,
            Hazard::Unmanaged(_) => &super::service_binary_unmanaged::RULE,
            Hazard::LinkOverBinary(_) => &super::link_over_binary::RULE,
            Hazard::EmptyBinary(_) => &super::empty_binary::RULE,
        }
    }

    /// The head-revision resource the hazard is about (a service, a runner, a file).
    pub fn subject(&self) -> ResId {
        match self {
            Hazard::Relinked(h) => h.service,
            Hazard::Missing(h) => h.service,
            Hazard::Unmanaged(h) => h.runner,
            Hazard::LinkOverBinary(h) => h.link,
            Hazard::EmptyBinary(h) => h.file,
        }
    }

    /// Scripts the rendered hazard names as writers of a file, with the side of the
    /// context they are on.
    pub fn writers(&self) -> Vec<(Side, ResId)> {
        match self {
            Hazard::Relinked(h) => h.writers().collect(),
            _ => Vec::new(),
        }
    }

    pub fn render(&self, cx: &Context<'_>, rule: &'static Rule, voice: Voice) -> Finding {
        match self {
            Hazard::Relinked(h) => super::service_binary_relinked::render(cx, rule, h, voice),
            Hazard::Missing(h) => super::service_binary_missing::render(cx, rule, h, voice),
            Hazard::Unmanaged(h) => super::service_binary_unmanaged::render(cx, rule, h, voice),
            Hazard::LinkOverBinary(h) => super::link_over_binary::render(cx, rule, h, voice),
            Hazard::EmptyBinary(h) => super::empty_binary::render(cx, rule, h, voice),
        }
    }
}
