//! Usage, cost and key lifecycle: what keys spend, what that is estimated to cost, and
//! which keys need care.
//!
//! Usage is kept per day, key and model rather than per message: the view never shows
//! anything finer than a day, and a heavy user's year then stays a few thousand rows
//! inside the vault record (localStorage is small) instead of one row per answer.
//! Days are the person's local calendar days, handed in by the caller.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::{Date, Duration, OffsetDateTime};
use uuid::Uuid;

use crate::model::{KeyEntry, ModelError, Provider, UsageTotals, Vault};

time::serde::format_description!(day_format, Date, "[year]-[month]-[day]");

/// One day's use of one key with one model. Short field names: a year of this sits in
/// the vault record twice (current and previous copy).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayUsage {
    #[serde(rename = "d", with = "day_format")]
    pub day: Date,
    #[serde(rename = "k")]
    pub key: Uuid,
    #[serde(rename = "p")]
    pub provider: Provider,
    #[serde(rename = "m")]
    pub model: String,
    #[serde(rename = "r")]
    pub requests: u64,
    #[serde(rename = "i")]
    pub input_tokens: u64,
    #[serde(rename = "o")]
    pub output_tokens: u64,
    #[serde(rename = "c", default, skip_serializing_if = "is_zero")]
    pub cached_tokens: u64,
}

/// What is kept of a deleted key whose usage stays: enough to name it in the usage
/// views and the CSV.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletedKey {
    pub id: Uuid,
    pub label: String,
    pub provider: Provider,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl DayUsage {
    pub fn totals(&self) -> UsageTotals {
        UsageTotals {
            requests: self.requests,
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens,
            cached_tokens: self.cached_tokens,
        }
    }
}

/// A price for the models whose id matches `model`: the exact id, or a prefix ending in
/// `*`. US dollars per million tokens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriceRule {
    pub provider: Provider,
    pub model: String,
    pub input: f64,
    pub output: f64,
    /// A cache read; when a provider has no such price, cached tokens cost as input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached: Option<f64>,
    /// When the price was last checked (`YYYY-MM-DD`); empty for the person's own.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub checked: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsageError {
    #[error("Give the model name, or the start of it followed by * (for example gpt-4o*).")]
    EmptyPattern,
    #[error("A * may only end the model name (for example claude-sonnet-4-5*).")]
    StarInside,
    #[error("The {0} price must be a number of dollars, zero or more.")]
    BadPrice(&'static str),
    /// Cache reads cost a fraction of fresh input: a higher one is two fields swapped.
    #[error(
        "The cached price is above the input price. Cached tokens cost less than fresh ones (often a tenth): check the two are not swapped."
    )]
    CachedAboveInput,
    /// A price under one maker's API for another maker's model would never apply: that
    /// API does not serve it, so the usage it was meant for stays unpriced.
    #[error(
        "\u{201c}{model}\u{201d} is {} model, but Provider says {}. Choose {}, or OpenAI-compatible for a server that offers models of several makers.",
        .maker.with_article(),
        .chosen.display_name(),
        .maker.display_name()
    )]
    OtherMakersModel {
        model: String,
        maker: Provider,
        chosen: Provider,
    },
    #[error("A monthly budget must be at least $0.01.")]
    BadBudget,
    #[error(transparent)]
    Model(#[from] ModelError),
}

/// Model ids as providers return them can carry a path (`models/gemini-2.5-pro`) and
/// people type them in any case.
fn model_id(model: &str) -> String {
    let m = model.trim().to_ascii_lowercase();
    match m.rsplit_once("models/") {
        Some((_, rest)) => rest.to_string(),
        None => m,
    }
}

/// The maker whose own API alone serves a model of this name, by the prefixes each
/// keeps for its models (`gpt-oss` is open, but neither Anthropic's nor Google's API
/// serves it). Other names say nothing: any API may serve them.
fn maker_of(model: &str) -> Option<Provider> {
    // `anthropic/claude-3` is a router's name: the maker's own API has no such path.
    let name = model.rsplit('/').next().unwrap_or(model);
    let has = |prefixes: &[&str]| prefixes.iter().any(|p| name.starts_with(p));
    if has(&["claude"]) {
        Some(Provider::Anthropic)
    } else if has(&["gemini", "gemma"]) {
        Some(Provider::Gemini)
    } else if has(&["gpt-", "chatgpt-"]) {
        Some(Provider::Openai)
    } else {
        None
    }
}

impl PriceRule {
    /// Check and tidy a price the person typed.
    pub fn new(
        provider: Provider,
        model: &str,
        input: f64,
        output: f64,
        cached: Option<f64>,
    ) -> Result<PriceRule, UsageError> {
        let typed = model.trim();
        let model = model_id(model);
        if model.is_empty() || model == "*" {
            return Err(UsageError::EmptyPattern);
        }
        if model.trim_end_matches('*').contains('*') {
            return Err(UsageError::StarInside);
        }
        let ok = |v: f64| v.is_finite() && v >= 0.0;
        if !ok(input) {
            return Err(UsageError::BadPrice("input"));
        }
        if !ok(output) {
            return Err(UsageError::BadPrice("output"));
        }
        if cached.is_some_and(|c| !ok(c)) {
            return Err(UsageError::BadPrice("cached"));
        }
        if cached.is_some_and(|c| c > input) {
            return Err(UsageError::CachedAboveInput);
        }
        if let Some(maker) = maker_of(&model)
            && provider != maker
            && provider != Provider::OpenaiCompatible
        {
            return Err(UsageError::OtherMakersModel {
                // As typed: the saved form is lower-cased.
                model: typed.to_string(),
                maker,
                chosen: provider,
            });
        }
        Ok(PriceRule {
            provider,
            model,
            input,
            output,
            cached,
            checked: String::new(),
        })
    }

    fn matches(&self, provider: Provider, model: &str) -> bool {
        if self.provider != provider {
            return false;
        }
        match self.model.strip_suffix('*') {
            Some(prefix) => model.starts_with(prefix),
            None => model == self.model,
        }
    }

    /// Estimated dollars. Providers count cached tokens inside the input (the stream
    /// parsers normalise Anthropic to that), so only the uncached rest costs the input
    /// price.
    pub fn cost(&self, t: &UsageTotals) -> f64 {
        let cached = t.cached_tokens.min(t.input_tokens);
        let uncached = t.input_tokens - cached;
        (uncached as f64 * self.input
            + cached as f64 * self.cached.unwrap_or(self.input)
            + t.output_tokens as f64 * self.output)
            / 1_000_000.0
    }
}

#[derive(Deserialize)]
struct PriceFile {
    prices: Vec<PriceRule>,
}

/// The price list byok ships (`data/pricing.json`).
pub fn shipped_prices() -> Vec<PriceRule> {
    // The file is part of the build and checked by a test; an empty list would only
    // mean "price unknown" everywhere, never a wrong number.
    serde_json::from_str::<PriceFile>(include_str!("../data/pricing.json"))
        .map(|f| f.prices)
        .unwrap_or_default()
}

/// The person's prices first, then the shipped list; within each the longest pattern
/// wins, so `gpt-4o-mini*` beats `gpt-4o*`.
#[derive(Debug, Clone, Copy)]
pub struct Prices<'a> {
    pub custom: &'a [PriceRule],
    pub shipped: &'a [PriceRule],
}

impl<'a> Prices<'a> {
    pub fn find(&self, provider: Provider, model: &str) -> Option<&'a PriceRule> {
        let m = model_id(model);
        let best = |rules: &'a [PriceRule]| {
            rules
                .iter()
                .filter(|r| r.matches(provider, &m))
                .max_by_key(|r| (!r.model.ends_with('*'), r.model.len()))
        };
        best(self.custom).or_else(|| best(self.shipped))
    }
}

/// An estimate that never invents a number: requests whose model has no price are
/// counted, not priced.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Cost {
    pub usd: f64,
    pub unpriced_requests: u64,
}

impl Cost {
    fn add(&mut self, o: Cost) {
        self.usd += o.usd;
        self.unpriced_requests = self.unpriced_requests.saturating_add(o.unpriced_requests);
    }

    /// What the table shows: "$1.23", "price unknown", or "$1.23 + price unknown".
    pub fn display(&self, priced_requests: u64) -> String {
        match (priced_requests, self.unpriced_requests) {
            (_, 0) => format_usd(self.usd),
            (0, _) => "price unknown".into(),
            _ => format!("{} + price unknown", format_usd(self.usd)),
        }
    }
}

/// Dollars for people: cents when there are any, else enough digits to see the
/// amount.
pub fn format_usd(usd: f64) -> String {
    if usd == 0.0 {
        "$0.00".into()
    } else if usd >= 0.01 {
        format!("${}", group_thousands(&format!("{usd:.2}")))
    } else if usd >= 0.0001 {
        format!("${usd:.4}")
    } else {
        "<$0.0001".into()
    }
}

/// `1234567` → `1,234,567` (also for `1234.50` → `1,234.50`).
pub fn group_thousands(s: &str) -> String {
    let (int, frac) = s.split_once('.').map_or((s, None), |(i, f)| (i, Some(f)));
    let mut out = String::with_capacity(s.len() + int.len() / 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

/// Totals plus their estimated cost.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Line {
    pub totals: UsageTotals,
    pub cost: Cost,
}

impl Line {
    fn add(&mut self, t: &UsageTotals, c: Cost) {
        self.totals.add(t);
        self.cost.add(c);
    }

    pub fn cost_text(&self) -> String {
        self.cost.display(
            self.totals
                .requests
                .saturating_sub(self.cost.unpriced_requests),
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    /// Today and the days before it, `n` days in all.
    Days(u32),
    All,
}

/// One day of the chart: every key used that day, in key order.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartDay {
    pub day: Date,
    pub stacks: Vec<(Uuid, Line)>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    pub total: Line,
    /// Keys in vault order, then keys since deleted.
    pub by_key: Vec<(Uuid, Provider, Line)>,
    pub by_provider: Vec<(Provider, Line)>,
    pub by_model: Vec<(Provider, String, Line)>,
    /// Days with use, newest first.
    pub by_day: Vec<(Date, Line)>,
    /// Every day of the range, oldest first, with or without use.
    pub chart: Vec<ChartDay>,
    /// The stored rows in range, oldest first, with their cost: the CSV.
    pub rows: Vec<(DayUsage, Cost)>,
}

fn row_cost(
    prices: &Prices,
    cache: &mut BTreeMap<(Provider, String), Option<PriceRule>>,
    r: &DayUsage,
) -> Cost {
    let rule = cache
        .entry((r.provider, r.model.clone()))
        .or_insert_with(|| prices.find(r.provider, &r.model).cloned());
    match rule {
        Some(p) => Cost {
            usd: p.cost(&r.totals()),
            unpriced_requests: 0,
        },
        None => Cost {
            usd: 0.0,
            unpriced_requests: r.requests,
        },
    }
}

/// Everything the usage view shows for `range`, ending `today`.
pub fn report(vault: &Vault, prices: &Prices, today: Date, range: Range) -> Report {
    let first = match range {
        Range::Days(n) => today - Duration::days(i64::from(n.max(1)) - 1),
        Range::All => match vault.usage.iter().map(|r| r.day).min() {
            Some(d) => d.min(today),
            None => return Report::default(),
        },
    };
    let mut cache = BTreeMap::new();
    let mut total = Line::default();
    let mut keys: BTreeMap<Uuid, (Provider, Line)> = BTreeMap::new();
    let mut providers: BTreeMap<Provider, Line> = BTreeMap::new();
    let mut models: BTreeMap<(Provider, String), Line> = BTreeMap::new();
    let mut days: BTreeMap<Date, BTreeMap<Uuid, Line>> = BTreeMap::new();
    let mut rows = Vec::new();
    for r in vault
        .usage
        .iter()
        .filter(|r| r.day >= first && r.day <= today)
    {
        let c = row_cost(prices, &mut cache, r);
        let t = r.totals();
        total.add(&t, c);
        keys.entry(r.key)
            .or_insert((r.provider, Line::default()))
            .1
            .add(&t, c);
        providers.entry(r.provider).or_default().add(&t, c);
        models
            .entry((r.provider, r.model.clone()))
            .or_default()
            .add(&t, c);
        days.entry(r.day)
            .or_default()
            .entry(r.key)
            .or_default()
            .add(&t, c);
        rows.push((r.clone(), c));
    }
    rows.sort_by_key(|r| r.0.day);

    // The vault's keys in their order, then deleted ones in the order they went (not by
    // id, which is random: the table and the chart must not shuffle between views).
    let order = |id: &Uuid| {
        vault
            .keys
            .iter()
            .position(|k| k.id == *id)
            .or_else(|| {
                vault
                    .deleted_keys
                    .iter()
                    .position(|d| d.id == *id)
                    .map(|i| vault.keys.len() + i)
            })
            .unwrap_or(usize::MAX)
    };
    let mut by_key: Vec<(Uuid, Provider, Line)> =
        keys.into_iter().map(|(id, (p, l))| (id, p, l)).collect();
    by_key.sort_by_key(|(id, _, _)| (order(id), *id));
    let by_day: Vec<(Date, Line)> = days
        .iter()
        .rev()
        .map(|(d, ks)| {
            let mut l = Line::default();
            for k in ks.values() {
                l.add(&k.totals, k.cost);
            }
            (*d, l)
        })
        .collect();
    let mut chart = Vec::new();
    let mut d = first;
    while d <= today {
        let mut stacks: Vec<(Uuid, Line)> = days
            .get(&d)
            .map(|ks| ks.iter().map(|(id, l)| (*id, *l)).collect())
            .unwrap_or_default();
        stacks.sort_by_key(|(id, _)| (order(id), *id));
        chart.push(ChartDay { day: d, stacks });
        match d.next_day() {
            Some(n) => d = n,
            None => break,
        }
    }
    Report {
        total,
        by_key,
        by_provider: providers.into_iter().collect(),
        by_model: models.into_iter().map(|((p, m), l)| (p, m, l)).collect(),
        by_day,
        chart,
        rows,
    }
}

/// The report's rows as CSV (RFC 4180), one line per day, key and model.
pub fn csv(vault: &Vault, report: &Report) -> String {
    let mut out = String::from(
        "date,provider,key,model,requests,input_tokens,output_tokens,cached_tokens,estimated_cost_usd\r\n",
    );
    for (r, c) in &report.rows {
        let label = &vault.usage_label(r.key);
        let cost = if c.unpriced_requests > 0 {
            String::new()
        } else {
            format!("{:.6}", c.usd)
        };
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{}\r\n",
            day_string(r.day),
            r.provider.id(),
            csv_field(label),
            csv_field(&r.model),
            r.requests,
            r.input_tokens,
            r.output_tokens,
            r.cached_tokens,
            cost
        ));
    }
    out
}

/// Quote where needed, and defuse text a spreadsheet would run as a formula.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

pub fn day_string(d: Date) -> String {
    format!("{}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BudgetLevel {
    Under,
    /// 80% or more.
    Near,
    /// 100% or more.
    Over,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BudgetStatus {
    pub budget: f64,
    pub spent: Cost,
    pub level: BudgetLevel,
}

impl BudgetStatus {
    pub fn percent(&self) -> f64 {
        self.spent.usd / self.budget * 100.0
    }

    /// The key's budget line under 80% (above, [`BudgetStatus::warning`] says it).
    /// Requests to a model without a price add nothing to the estimate, so without a
    /// word about them a budget could read "$0.00 used" forever and never warn.
    pub fn summary(&self) -> String {
        let line = format!(
            "Budget {} a month; an estimated {} used so far this month",
            format_usd(self.budget),
            format_usd(self.spent.usd)
        );
        match self.spent.unpriced_requests {
            0 => format!("{line}."),
            1 => format!(
                "{line}; 1 request this month to a model without a price is not counted: add its price under Usage \u{2192} Prices."
            ),
            n => format!(
                "{line}; {n} requests this month to models without a price are not counted: add their price under Usage \u{2192} Prices."
            ),
        }
    }

    /// The warning people read, or `None` under 80%.
    pub fn warning(&self, label: &str) -> Option<String> {
        let unknown = match self.spent.unpriced_requests {
            0 => String::new(),
            1 => " (not counting 1 request to a model without a price: add its price under Usage → Prices)".into(),
            n => format!(" (not counting {n} requests to models without a price: add their prices under Usage → Prices)"),
        };
        let pct = self.percent().floor();
        match self.level {
            BudgetLevel::Under => None,
            BudgetLevel::Near => Some(format!(
                "\u{201c}{label}\u{201d} has used an estimated {pct}% of its {} monthly budget ({} so far){unknown}.",
                format_usd(self.budget),
                format_usd(self.spent.usd)
            )),
            BudgetLevel::Over => Some(format!(
                "\u{201c}{label}\u{201d} is over its {} monthly budget: an estimated {} this month{unknown}.",
                format_usd(self.budget),
                format_usd(self.spent.usd)
            )),
        }
    }
}

impl Vault {
    /// The key's label for usage views and the CSV; its history outlives a deleted key,
    /// which is named "LABEL (deleted)" (a key deleted before names were kept has none).
    pub fn usage_label(&self, id: Uuid) -> String {
        if let Some(k) = self.get(id) {
            return k.label.clone();
        }
        match self.deleted_keys.iter().find(|d| d.id == id) {
            Some(d) => format!("{} (deleted)", d.label),
            None => "(deleted key)".into(),
        }
    }

    /// Every key with usage, living ones in vault order, then deleted ones: the order of
    /// the chart's colours, the same whatever range is shown.
    pub fn keys_with_usage(&self) -> Vec<Uuid> {
        let used: std::collections::BTreeSet<Uuid> = self.usage.iter().map(|r| r.key).collect();
        let mut out: Vec<Uuid> = self
            .keys
            .iter()
            .map(|k| k.id)
            .filter(|id| used.contains(id))
            .collect();
        out.extend(used.iter().filter(|id| self.get(**id).is_none()));
        out
    }

    /// Add one answer's usage: to the key's totals and to today's row for its model.
    #[allow(clippy::too_many_arguments)]
    pub fn record_usage(
        &mut self,
        id: Uuid,
        model: &str,
        day: Date,
        input_tokens: u64,
        output_tokens: u64,
        cached_tokens: u64,
        now: OffsetDateTime,
    ) -> Result<(), ModelError> {
        let k = self.get_mut(id)?;
        let provider = k.provider;
        k.last_used_at = Some(now);
        let t = UsageTotals {
            requests: 1,
            input_tokens,
            output_tokens,
            cached_tokens,
        };
        k.usage.add(&t);
        let model = model_id(model);
        // Rows arrive in day order, so today's rows are at the end.
        let found = self
            .usage
            .iter_mut()
            .rev()
            .take_while(|r| r.day >= day)
            .find(|r| r.day == day && r.key == id && r.model == model);
        match found {
            Some(r) => {
                // Saturating, as in `UsageTotals::add`: the counts are the provider's.
                r.requests = r.requests.saturating_add(1);
                r.input_tokens = r.input_tokens.saturating_add(input_tokens);
                r.output_tokens = r.output_tokens.saturating_add(output_tokens);
                r.cached_tokens = r.cached_tokens.saturating_add(cached_tokens);
            }
            None => self.usage.push(DayUsage {
                day,
                key: id,
                provider,
                model,
                requests: 1,
                input_tokens,
                output_tokens,
                cached_tokens,
            }),
        }
        Ok(())
    }

    /// Forget every recorded use (rows, per-key totals, and the names of deleted keys
    /// kept for them); keys, budgets and prices stay.
    pub fn clear_usage(&mut self) {
        self.usage.clear();
        self.deleted_keys.clear();
        for k in &mut self.keys {
            k.usage = UsageTotals::default();
        }
    }

    /// `None` removes the budget.
    pub fn set_budget(&mut self, id: Uuid, usd: Option<f64>) -> Result<(), UsageError> {
        self.get(id).ok_or(ModelError::NotFound)?;
        match usd {
            None => {
                self.budgets.remove(&id);
            }
            // Less than a cent a month is no budget anyone means: most likely a slip
            // (0.001 for 0.01), which would warn on the first answer.
            Some(v) if v.is_finite() && v >= 0.01 => {
                self.budgets.insert(id, v);
            }
            Some(_) => return Err(UsageError::BadBudget),
        }
        Ok(())
    }

    /// Add the person's price, replacing theirs for the same provider and pattern.
    pub fn set_price(&mut self, rule: PriceRule) {
        match self
            .prices
            .iter_mut()
            .find(|r| r.provider == rule.provider && r.model == rule.model)
        {
            Some(r) => *r = rule,
            None => self.prices.push(rule),
        }
    }

    pub fn remove_price(&mut self, provider: Provider, model: &str) {
        self.prices
            .retain(|r| !(r.provider == provider && r.model == model));
    }

    /// This calendar month's estimate against the key's budget, if it has one.
    pub fn budget_status(&self, prices: &Prices, id: Uuid, today: Date) -> Option<BudgetStatus> {
        let budget = *self.budgets.get(&id)?;
        let mut cache = BTreeMap::new();
        let mut spent = Cost::default();
        for r in self.usage.iter().filter(|r| {
            r.key == id
                && r.day <= today
                && r.day.year() == today.year()
                && r.day.month() == today.month()
        }) {
            spent.add(row_cost(prices, &mut cache, r));
        }
        let level = if spent.usd >= budget {
            BudgetLevel::Over
        } else if spent.usd >= budget * 0.8 {
            BudgetLevel::Near
        } else {
            BudgetLevel::Under
        };
        Some(BudgetStatus {
            budget,
            spent,
            level,
        })
    }
}

/// Why a key needs care, most urgent first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reminder {
    Expired {
        on: Date,
    },
    ExpiresSoon {
        on: Date,
        days: i64,
    },
    RotationDue {
        age_days: i64,
        period_days: u32,
    },
    NeverTested,
    /// Still switched on although its last test failed: it may fail the next request.
    TestFailed {
        why: String,
    },
}

impl Reminder {
    pub fn message(&self) -> String {
        match self {
            Reminder::Expired { on } => format!(
                "Expired on {}: it is no longer chosen for requests. Rotate it, or set a new expiry if the provider extended it.",
                day_string(*on)
            ),
            Reminder::ExpiresSoon { on, days } => match days {
                1 => format!("Expires tomorrow ({}).", day_string(*on)),
                n => format!("Expires in {n} days ({}).", day_string(*on)),
            },
            Reminder::RotationDue {
                age_days,
                period_days,
            } => format!(
                "Not rotated for {age_days} days (your rotation period is {period_days} days): make a new key at the provider and use Rotate."
            ),
            Reminder::NeverTested => {
                "Never tested: use Test to check the provider accepts it.".into()
            }
            Reminder::TestFailed { why } => format!(
                "Its last test failed ({}). Fix it and test again, or switch it off.",
                why.trim_end_matches('.')
            ),
        }
    }

    /// A few words, for a list of one line per key: the badge's word with the date or
    /// age that says how urgent it is ([`Reminder::message`] says what to do).
    pub fn short(&self) -> String {
        match self {
            Reminder::Expired { on } => format!("Expired on {}", day_string(*on)),
            Reminder::ExpiresSoon { .. } => self.message().trim_end_matches('.').to_string(),
            Reminder::RotationDue { age_days, .. } => {
                format!("Rotation due ({age_days} days old)")
            }
            Reminder::NeverTested => "Never tested".into(),
            Reminder::TestFailed { .. } => "Its last test failed".into(),
        }
    }

    /// Most urgent first, for ordering the list of keys that need care.
    pub fn urgency(&self) -> u8 {
        match self {
            Reminder::Expired { .. } => 0,
            Reminder::TestFailed { .. } => 1,
            Reminder::ExpiresSoon { .. } => 2,
            Reminder::RotationDue { .. } => 3,
            Reminder::NeverTested => 4,
        }
    }

    /// A short word for the badge.
    pub fn badge(&self) -> &'static str {
        match self {
            Reminder::Expired { .. } => "Expired",
            Reminder::ExpiresSoon { .. } => "Expires soon",
            Reminder::RotationDue { .. } => "Rotation due",
            Reminder::NeverTested => "Never tested",
            Reminder::TestFailed { .. } => "Test failed",
        }
    }
}

/// Days since the secret was created or last rotated.
pub fn age_days(k: &KeyEntry, now: OffsetDateTime) -> i64 {
    (now - k.rotated_at.unwrap_or(k.created_at))
        .whole_days()
        .max(0)
}

pub const EXPIRY_WARNING_DAYS: i64 = 14;
pub const DEFAULT_ROTATION_DAYS: u32 = 90;

/// What needs doing about `k` now. A switched-off key is not used, so only its expiry
/// and age are worth a word.
pub fn reminders(k: &KeyEntry, now: OffsetDateTime, rotation_days: u32) -> Vec<Reminder> {
    let mut out = Vec::new();
    // By calendar days where the person is, as `KeyEntry::is_expired` counts them.
    if let Some(x) = k.expires_at {
        let days = (x.date() - now.date()).whole_days();
        if k.is_expired(now) {
            out.push(Reminder::Expired { on: x.date() });
        } else if days < EXPIRY_WARNING_DAYS {
            out.push(Reminder::ExpiresSoon { on: x.date(), days });
        }
    }
    let age = age_days(k, now);
    if rotation_days > 0 && age >= i64::from(rotation_days) && !k.is_expired(now) {
        out.push(Reminder::RotationDue {
            age_days: age,
            period_days: rotation_days,
        });
    }
    if k.is_active && !k.is_expired(now) {
        match &k.last_test {
            // A provider that answered a chat with this secret has accepted it: asking
            // for a test then would only nag.
            None if k
                .last_used_at
                .is_none_or(|u| u < k.rotated_at.unwrap_or(k.created_at)) =>
            {
                out.push(Reminder::NeverTested)
            }
            None => {}
            // A rate limit or an outage at test time says nothing to fix about the key.
            Some(t) if t.outcome != crate::model::TestOutcome::Ok && !t.outcome.is_transient() => {
                out.push(Reminder::TestFailed {
                    why: t.message.clone(),
                })
            }
            Some(_) => {}
        }
    }
    out
}

/// "today", "yesterday", "5 days ago", or the date: for last used / last tested.
/// Days are counted in `now`'s offset (the person's own in the app).
pub fn ago(then: OffsetDateTime, now: OffsetDateTime) -> String {
    let then = then.to_offset(now.offset());
    match (now.date() - then.date()).whole_days() {
        i64::MIN..=0 => "today".into(),
        1 => "yesterday".into(),
        n @ 2..=60 => format!("{n} days ago"),
        _ => day_string(then.date()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{TestOutcome, TestResult};
    use crate::secret::Secret;
    use time::macros::{date, datetime};

    const NOW: OffsetDateTime = datetime!(2026-11-26 12:00 UTC);
    const TODAY: Date = date!(2026 - 11 - 26);

    fn vault() -> (Vault, Uuid, Uuid) {
        let mut v = Vault::default();
        let a = Uuid::from_bytes([1; 16]);
        let b = Uuid::from_bytes([2; 16]);
        for (id, label, secret) in [
            (a, "Work", "sk-proj-FAKE-work-TEST-1111"),
            (b, "Home", "sk-proj-FAKE-home-TEST-2222"),
        ] {
            v.add(
                crate::model::tests::new(Provider::Openai, label, secret),
                id,
                datetime!(2026-01-01 0:00 UTC),
            )
            .expect("ok");
        }
        (v, a, b)
    }

    fn passed() -> TestResult {
        TestResult {
            outcome: TestOutcome::Ok,
            message: String::new(),
            models: vec![],
        }
    }

    fn rule(model: &str, input: f64, output: f64, cached: Option<f64>) -> PriceRule {
        PriceRule::new(Provider::Openai, model, input, output, cached).expect("ok")
    }

    #[test]
    fn recording_adds_to_the_day_row_and_the_key_totals() {
        let (mut v, a, b) = vault();
        v.record_usage(a, "gpt-4o", TODAY, 100, 20, 0, NOW)
            .expect("ok");
        v.record_usage(a, "gpt-4o", TODAY, 50, 10, 40, NOW)
            .expect("ok");
        v.record_usage(a, "GPT-4o-mini", TODAY, 1, 2, 0, NOW)
            .expect("ok");
        v.record_usage(b, "gpt-4o", TODAY, 7, 3, 0, NOW)
            .expect("ok");
        v.record_usage(a, "gpt-4o", TODAY.next_day().expect("ok"), 1, 1, 0, NOW)
            .expect("ok");
        assert_eq!(v.usage.len(), 4);
        assert_eq!(v.usage[0].requests, 2);
        assert_eq!(v.usage[0].input_tokens, 150);
        assert_eq!(v.usage[0].cached_tokens, 40);
        assert_eq!(v.usage[1].model, "gpt-4o-mini");
        let k = v.get(a).expect("ok");
        assert_eq!(k.usage.requests, 4);
        assert_eq!(k.usage.output_tokens, 33);
        assert_eq!(k.last_used_at, Some(NOW));
        assert_eq!(
            v.record_usage(Uuid::nil(), "m", TODAY, 1, 1, 0, NOW),
            Err(ModelError::NotFound)
        );
    }

    #[test]
    fn usage_survives_the_vault_json_and_is_left_out_when_empty() {
        let (mut v, a, _) = vault();
        let empty = serde_json::to_string(&v).expect("ok");
        assert!(!empty.contains("\"usage\":[") && !empty.contains("budgets"));
        v.record_usage(a, "gpt-4o", TODAY, 3, 4, 0, NOW)
            .expect("ok");
        v.set_budget(a, Some(12.5)).expect("ok");
        v.set_price(rule("my-model", 1.0, 2.0, None));
        let text = serde_json::to_string(&v).expect("ok");
        assert!(text.contains(r#""d":"2026-11-26""#), "{text}");
        let back: Vault = serde_json::from_str(&text).expect("ok");
        assert_eq!(back, v);
    }

    #[test]
    fn cost_prices_cached_tokens_at_the_cache_rate_and_the_rest_as_input() {
        let r = rule("gpt-4o", 2.5, 10.0, Some(1.25));
        let t = UsageTotals {
            requests: 1,
            input_tokens: 1_000_000,
            output_tokens: 100_000,
            cached_tokens: 400_000,
        };
        // 600k uncached * 2.5 + 400k cached * 1.25 + 100k out * 10 = 1.5 + 0.5 + 1.0
        assert!((r.cost(&t) - 3.0).abs() < 1e-9);
        let no_cache_price = rule("x", 2.0, 0.0, None);
        assert!((no_cache_price.cost(&t) - 2.0).abs() < 1e-9);
        // A provider reporting more cached than input never makes a negative count.
        let odd = UsageTotals {
            requests: 1,
            input_tokens: 10,
            output_tokens: 0,
            cached_tokens: 50,
        };
        assert!((r.cost(&odd) - 10.0 * 1.25 / 1e6).abs() < 1e-12);
    }

    #[test]
    fn the_longest_pattern_wins_and_the_persons_prices_win_over_shipped() {
        let shipped = vec![
            rule("gpt-4o*", 2.5, 10.0, None),
            rule("gpt-4o-mini*", 0.15, 0.6, None),
            rule("gpt-4o-mini-2024*", 9.0, 9.0, None),
        ];
        let custom = vec![rule("gpt-4o-mini-2024-07-18", 1.0, 1.0, None)];
        let none: Vec<PriceRule> = Vec::new();
        let p = Prices {
            custom: &none,
            shipped: &shipped,
        };
        assert_eq!(
            p.find(Provider::Openai, "gpt-4o-mini").expect("ok").input,
            0.15
        );
        assert_eq!(
            p.find(Provider::Openai, "gpt-4o-2024-08-06")
                .expect("ok")
                .input,
            2.5
        );
        assert_eq!(
            p.find(Provider::Openai, "gpt-4o-mini-2024-07-18")
                .expect("ok")
                .input,
            9.0
        );
        assert!(p.find(Provider::Anthropic, "gpt-4o").is_none());
        assert!(p.find(Provider::Openai, "gpt-4").is_none());
        let p = Prices {
            custom: &custom,
            shipped: &shipped,
        };
        assert_eq!(
            p.find(Provider::Openai, "gpt-4o-mini-2024-07-18")
                .expect("ok")
                .input,
            1.0
        );
        assert_eq!(
            p.find(Provider::Openai, "gpt-4o-mini").expect("ok").input,
            0.15
        );
    }

    #[test]
    fn the_shipped_price_list_parses_and_prices_the_common_models() {
        let shipped = shipped_prices();
        assert!(shipped.len() > 20);
        for r in &shipped {
            assert!(r.input > 0.0 && r.output > 0.0, "{r:?}");
            assert!(r.checked.len() == 10, "{r:?} has no checked date");
            assert!(!r.model.trim_end_matches('*').contains('*'));
        }
        let p = Prices {
            custom: &[],
            shipped: &shipped,
        };
        for (prov, m) in [
            (Provider::Anthropic, "claude-sonnet-4-5-20250929"),
            (Provider::Anthropic, "claude-haiku-4-5-20251001"),
            (Provider::Openai, "gpt-4o-mini"),
            (Provider::Openai, "gpt-4.1"),
            (Provider::Gemini, "models/gemini-2.5-pro"),
            (Provider::Gemini, "gemini-2.5-flash"),
        ] {
            assert!(p.find(prov, m).is_some(), "{m}");
        }
        assert_eq!(
            p.find(Provider::Gemini, "gemini-2.5-flash")
                .expect("ok")
                .output,
            2.5
        );
        assert_eq!(
            p.find(Provider::Gemini, "gemini-2.5-flash-lite")
                .expect("ok")
                .output,
            0.4
        );
        assert!(p.find(Provider::OpenaiCompatible, "mock/llama").is_none());
    }

    #[test]
    fn typed_prices_are_checked() {
        let p = Provider::Openai;
        assert_eq!(
            PriceRule::new(p, " ", 1.0, 1.0, None),
            Err(UsageError::EmptyPattern)
        );
        assert_eq!(
            PriceRule::new(p, "*", 1.0, 1.0, None),
            Err(UsageError::EmptyPattern)
        );
        assert_eq!(
            PriceRule::new(p, "g*pt", 1.0, 1.0, None),
            Err(UsageError::StarInside)
        );
        assert_eq!(
            PriceRule::new(p, "m", -1.0, 1.0, None),
            Err(UsageError::BadPrice("input"))
        );
        assert_eq!(
            PriceRule::new(p, "m", 1.0, f64::NAN, None),
            Err(UsageError::BadPrice("output"))
        );
        assert_eq!(
            PriceRule::new(p, "m", 1.0, 1.0, Some(f64::INFINITY)),
            Err(UsageError::BadPrice("cached"))
        );
        assert_eq!(
            PriceRule::new(p, "m", 1.0, 4.0, Some(1.5)),
            Err(UsageError::CachedAboveInput)
        );
        // As dear as input is allowed: some providers have no discount.
        assert!(PriceRule::new(p, "m", 1.0, 4.0, Some(1.0)).is_ok());
        // Another maker's model under a maker's own API would never be priced. The
        // message names it as typed, not lower-cased as it would be saved.
        let e = PriceRule::new(Provider::Openai, "Claude-Sonnet-4-5*", 3.0, 15.0, None)
            .expect_err("Anthropic's model under OpenAI");
        assert_eq!(
            e.to_string(),
            "\u{201c}Claude-Sonnet-4-5*\u{201d} is an Anthropic model, but Provider says OpenAI. Choose Anthropic, or OpenAI-compatible for a server that offers models of several makers."
        );
        assert!(matches!(
            PriceRule::new(Provider::Anthropic, "models/gemini-2.5-pro", 1.0, 1.0, None),
            Err(UsageError::OtherMakersModel {
                maker: Provider::Gemini,
                ..
            })
        ));
        assert!(PriceRule::new(Provider::Gemini, "gpt-4o", 1.0, 1.0, None).is_err());
        assert!(PriceRule::new(Provider::Openai, "anthropic/claude-3*", 1.0, 1.0, None).is_err());
        // Its own maker, a compatible server, or a name no maker keeps: fine.
        for (prov, model) in [
            (Provider::Anthropic, "claude-haiku-4-5"),
            (Provider::Gemini, "gemma-3-27b-it"),
            (Provider::Openai, "gpt-5"),
            (Provider::OpenaiCompatible, "claude-sonnet-4-5"),
            (Provider::OpenaiCompatible, "gpt-oss-120b"),
            (Provider::Openai, "o3-mini"),
            (Provider::Anthropic, "my-proxy-model"),
        ] {
            assert!(
                PriceRule::new(prov, model, 1.0, 1.0, None).is_ok(),
                "{model}"
            );
        }
        assert_eq!(
            PriceRule::new(p, " Models/My-Model* ", 0.0, 0.0, None)
                .expect("ok")
                .model,
            "my-model*"
        );
    }

    #[test]
    fn a_report_groups_by_key_provider_model_and_day_within_the_range() {
        let (mut v, a, b) = vault();
        let shipped = vec![rule("priced", 1000.0, 2000.0, Some(100.0))];
        let prices = Prices {
            custom: &[],
            shipped: &shipped,
        };
        let d = |n: i64| TODAY - Duration::days(n);
        v.record_usage(a, "priced", d(40), 1000, 1000, 0, NOW)
            .expect("ok");
        v.record_usage(a, "priced", d(3), 100, 10, 50, NOW)
            .expect("ok");
        v.record_usage(b, "priced", d(3), 200, 20, 0, NOW)
            .expect("ok");
        v.record_usage(b, "unpriced", d(0), 5, 5, 0, NOW)
            .expect("ok");
        v.record_usage(b, "unpriced", d(0), 5, 5, 0, NOW)
            .expect("ok");

        let r = report(&v, &prices, TODAY, Range::Days(7));
        assert_eq!(r.chart.len(), 7);
        assert_eq!(r.chart[0].day, d(6));
        assert_eq!(r.chart[6].day, TODAY);
        assert_eq!(r.total.totals.requests, 4);
        assert_eq!(r.total.totals.input_tokens, 310);
        assert_eq!(r.total.totals.cached_tokens, 50);
        // a: 50*1000 + 50*100 + 10*2000 = 75,000 per million; b: 200*1000 + 20*2000.
        let cost_a = 0.075;
        let cost_b = 0.24;
        assert_eq!(r.by_key.len(), 2);
        assert_eq!(r.by_key[0].0, a);
        assert!((r.by_key[0].2.cost.usd - cost_a).abs() < 1e-9);
        assert_eq!(r.by_key[1].2.totals.requests, 3);
        assert!((r.by_key[1].2.cost.usd - cost_b).abs() < 1e-9);
        assert_eq!(r.by_key[1].2.cost.unpriced_requests, 2);
        assert_eq!(r.by_key[1].2.cost_text(), "$0.24 + price unknown");
        assert_eq!(r.by_model.len(), 2);
        assert_eq!(r.by_model[1].1, "unpriced");
        assert_eq!(r.by_model[1].2.cost_text(), "price unknown");
        assert_eq!(r.by_provider.len(), 1);
        assert_eq!(r.by_day.len(), 2);
        assert_eq!(r.by_day[0].0, TODAY);
        assert_eq!(r.chart[3].stacks.len(), 2);
        assert_eq!(r.chart[3].stacks[0].0, a);
        assert_eq!(r.chart[3].stacks[1].1.totals.output_tokens, 20);
        assert!(r.chart[4].stacks.is_empty());

        let all = report(&v, &prices, TODAY, Range::All);
        assert_eq!(all.chart.len(), 41);
        assert_eq!(all.total.totals.requests, 5);
        assert_eq!(
            report(&v, &prices, TODAY, Range::Days(30))
                .total
                .totals
                .requests,
            4
        );
        assert_eq!(
            report(&Vault::default(), &prices, TODAY, Range::All),
            Report::default()
        );
    }

    #[test]
    fn deleted_keys_keep_their_usage_after_the_living_ones() {
        let (mut v, a, b) = vault();
        v.record_usage(b, "m", TODAY, 1, 1, 0, NOW).expect("ok");
        v.record_usage(a, "m", TODAY, 1, 1, 0, NOW).expect("ok");
        v.set_budget(b, Some(5.0)).expect("ok");
        v.remove(b).expect("ok");
        assert!(v.budgets.is_empty());
        let r = report(
            &v,
            &Prices {
                custom: &[],
                shipped: &[],
            },
            TODAY,
            Range::All,
        );
        assert_eq!(r.by_key.iter().map(|k| k.0).collect::<Vec<_>>(), vec![a, b]);
        // Deleted keys stay in the order they went, whatever their (random) ids.
        let mut both = v.clone();
        both.remove(a).expect("ok");
        let none = Prices {
            custom: &[],
            shipped: &[],
        };
        let r2 = report(&both, &none, TODAY, Range::All);
        assert_eq!(
            r2.by_key.iter().map(|k| k.0).collect::<Vec<_>>(),
            vec![b, a]
        );
        assert_eq!(v.usage_label(b), "Home (deleted)");
        assert!(csv(&v, &r).contains(",Home (deleted),"), "{}", csv(&v, &r));
        // The name is kept inside the vault record, and read back.
        let back: Vault =
            serde_json::from_str(&serde_json::to_string(&v).expect("ok")).expect("ok");
        assert_eq!(back.usage_label(b), "Home (deleted)");
        // Clearing the history forgets whose it was as well.
        v.clear_usage();
        assert!(v.deleted_keys.is_empty());
        assert_eq!(v.usage_label(b), "(deleted key)");
    }

    #[test]
    fn a_deleted_key_without_usage_leaves_the_record_as_it_was() {
        let (mut v, a, b) = vault();
        let before = serde_json::to_string(&v).expect("ok");
        assert!(!before.contains("deleted_keys"));
        // A record written before deleted keys were named still reads.
        let old: Vault = serde_json::from_str(&before).expect("ok");
        assert!(old.deleted_keys.is_empty());
        v.remove(b).expect("ok");
        assert!(v.deleted_keys.is_empty());
        assert!(
            !serde_json::to_string(&v)
                .expect("ok")
                .contains("deleted_keys")
        );
        v.record_usage(a, "m", TODAY, 1, 1, 0, NOW).expect("ok");
        v.remove(a).expect("ok");
        assert_eq!(v.deleted_keys.len(), 1);
        assert_eq!(v.deleted_keys[0].provider, Provider::Openai);
    }

    #[test]
    fn a_reminder_in_a_few_words_keeps_its_date_or_age() {
        let on = date!(2026 - 11 - 20);
        assert_eq!(Reminder::Expired { on }.short(), "Expired on 2026-11-20");
        assert_eq!(
            Reminder::ExpiresSoon { on, days: 5 }.short(),
            "Expires in 5 days (2026-11-20)"
        );
        assert_eq!(
            Reminder::RotationDue {
                age_days: 120,
                period_days: 90
            }
            .short(),
            "Rotation due (120 days old)"
        );
        let failed = Reminder::TestFailed {
            why: "The key was refused.".into(),
        };
        assert_eq!(failed.short(), "Its last test failed");
        assert!(failed.urgency() < Reminder::NeverTested.urgency());
        assert!(Reminder::Expired { on }.urgency() < failed.urgency());
    }

    #[test]
    fn a_keys_colour_place_does_not_depend_on_the_range_shown() {
        let (mut v, a, b) = vault();
        let c = Uuid::from_bytes([3; 16]);
        v.add(
            crate::model::tests::new(Provider::Gemini, "Gone", "AIza-FAKE-gone-TEST-3333"),
            c,
            NOW,
        )
        .expect("ok");
        // `a` only long ago: the last 7 days show `b` alone, and `b` keeps its place.
        v.record_usage(a, "m", TODAY - Duration::days(20), 1, 1, 0, NOW)
            .expect("ok");
        v.record_usage(b, "m", TODAY, 1, 1, 0, NOW).expect("ok");
        v.record_usage(c, "m", TODAY, 1, 1, 0, NOW).expect("ok");
        v.remove(c).expect("ok");
        assert_eq!(v.keys_with_usage(), vec![a, b, c]);
        let prices = Prices {
            custom: &[],
            shipped: &[],
        };
        let week = report(&v, &prices, TODAY, Range::Days(7));
        assert_eq!(
            week.by_key.iter().map(|k| k.0).collect::<Vec<_>>(),
            vec![b, c]
        );
    }

    #[test]
    fn csv_has_one_line_per_row_and_defuses_formulas() {
        let (mut v, a, b) = vault();
        let id = v.keys[0].id;
        v.edit(
            id,
            crate::model::KeyEdit {
                label: "=HYPERLINK(\"x\"), evil".into(),
                ..Default::default()
            },
        )
        .expect("ok");
        let shipped = vec![rule("priced", 1.0, 2.0, None)];
        let prices = Prices {
            custom: &[],
            shipped: &shipped,
        };
        v.record_usage(a, "priced", TODAY, 1_000_000, 500_000, 0, NOW)
            .expect("ok");
        v.record_usage(b, "other", TODAY, 3, 4, 2, NOW).expect("ok");
        let r = report(&v, &prices, TODAY, Range::Days(7));
        let text = csv(&v, &r);
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert_eq!(
            lines[0],
            "date,provider,key,model,requests,input_tokens,output_tokens,cached_tokens,estimated_cost_usd"
        );
        assert_eq!(
            lines[1],
            "2026-11-26,openai,\"'=HYPERLINK(\"\"x\"\"), evil\",priced,1,1000000,500000,0,2.000000"
        );
        assert_eq!(lines[2], "2026-11-26,openai,Home,other,1,3,4,2,");
        assert_eq!(lines[3], "");
    }

    #[test]
    fn a_budget_warns_at_80_and_100_percent_of_this_months_estimate() {
        let (mut v, a, b) = vault();
        let shipped = vec![rule("m", 1_000_000.0, 0.0, None)];
        let prices = Prices {
            custom: &[],
            shipped: &shipped,
        };
        assert_eq!(v.budget_status(&prices, a, TODAY), None);
        assert_eq!(v.set_budget(a, Some(0.0)), Err(UsageError::BadBudget));
        assert_eq!(v.set_budget(a, Some(-3.0)), Err(UsageError::BadBudget));
        assert_eq!(v.set_budget(a, Some(0.00001)), Err(UsageError::BadBudget));
        assert_eq!(
            v.set_budget(Uuid::nil(), Some(3.0)),
            Err(UsageError::Model(ModelError::NotFound))
        );
        v.set_budget(a, Some(10.0)).expect("ok");
        // Last month and the other key do not count.
        v.record_usage(a, "m", date!(2026 - 10 - 31), 100, 0, 0, NOW)
            .expect("ok");
        v.record_usage(b, "m", TODAY, 100, 0, 0, NOW).expect("ok");
        v.record_usage(a, "m", date!(2026 - 11 - 01), 7, 0, 0, NOW)
            .expect("ok");
        let s = v.budget_status(&prices, a, TODAY).expect("ok");
        assert_eq!(s.level, BudgetLevel::Under);
        assert!((s.spent.usd - 7.0).abs() < 1e-9);
        assert_eq!(s.warning("Work"), None);
        v.record_usage(a, "m", TODAY, 1, 0, 0, NOW).expect("ok");
        let s = v.budget_status(&prices, a, TODAY).expect("ok");
        assert_eq!(s.level, BudgetLevel::Near);
        assert_eq!(
            s.warning("Work").expect("ok"),
            "\u{201c}Work\u{201d} has used an estimated 80% of its $10.00 monthly budget ($8.00 so far)."
        );
        v.record_usage(a, "unknown-model", TODAY, 1, 0, 0, NOW)
            .expect("ok");
        v.record_usage(a, "m", TODAY, 2, 0, 0, NOW).expect("ok");
        let s = v.budget_status(&prices, a, TODAY).expect("ok");
        assert_eq!(s.level, BudgetLevel::Over);
        assert_eq!(
            s.warning("Work").expect("ok"),
            "\u{201c}Work\u{201d} is over its $10.00 monthly budget: an estimated $10.00 this month (not counting 1 request to a model without a price: add its price under Usage → Prices)."
        );
        v.record_usage(a, "unknown-model", TODAY, 1, 0, 0, NOW)
            .expect("ok");
        let s = v.budget_status(&prices, a, TODAY).expect("ok");
        assert_eq!(
            s.warning("Work").expect("ok"),
            "\u{201c}Work\u{201d} is over its $10.00 monthly budget: an estimated $10.00 this month (not counting 2 requests to models without a price: add their prices under Usage → Prices)."
        );
        v.set_budget(a, None).expect("ok");
        assert_eq!(v.budget_status(&prices, a, TODAY), None);
    }

    #[test]
    fn a_budget_under_80_percent_says_which_requests_it_could_not_count() {
        let (mut v, a, _) = vault();
        let prices = Prices {
            custom: &[],
            shipped: &[],
        };
        v.set_budget(a, Some(0.01)).expect("ok");
        assert_eq!(
            v.budget_status(&prices, a, TODAY).expect("ok").summary(),
            "Budget $0.01 a month; an estimated $0.00 used so far this month."
        );
        v.record_usage(a, "unpriced", TODAY, 9, 9, 0, NOW)
            .expect("ok");
        let s = v.budget_status(&prices, a, TODAY).expect("ok");
        assert_eq!(s.level, BudgetLevel::Under);
        assert_eq!(
            s.summary(),
            "Budget $0.01 a month; an estimated $0.00 used so far this month; 1 request this month to a model without a price is not counted: add its price under Usage \u{2192} Prices."
        );
        v.record_usage(a, "also-unpriced", TODAY, 9, 9, 0, NOW)
            .expect("ok");
        assert_eq!(
            v.budget_status(&prices, a, TODAY).expect("ok").summary(),
            "Budget $0.01 a month; an estimated $0.00 used so far this month; 2 requests this month to models without a price are not counted: add their price under Usage \u{2192} Prices."
        );
    }

    #[test]
    fn clearing_usage_keeps_keys_budgets_and_prices() {
        let (mut v, a, _) = vault();
        v.record_usage(a, "m", TODAY, 1, 1, 0, NOW).expect("ok");
        v.set_budget(a, Some(1.0)).expect("ok");
        v.set_price(rule("m", 1.0, 1.0, None));
        v.set_price(rule("m", 2.0, 1.0, None));
        assert_eq!(v.prices.len(), 1);
        assert_eq!(v.prices[0].input, 2.0);
        v.clear_usage();
        assert!(v.usage.is_empty());
        assert!(v.get(a).expect("ok").usage.is_zero());
        assert_eq!(v.keys.len(), 2);
        assert_eq!(v.budgets.len(), 1);
        v.remove_price(Provider::Openai, "m");
        assert!(v.prices.is_empty());
    }

    #[test]
    fn reminders_follow_expiry_age_and_tests_on_a_fixed_clock() {
        let (mut v, a, _) = vault();
        let k = |v: &Vault| v.get(a).expect("ok").clone();
        // Created 2026-01-01: 329 days old on NOW, never tested.
        assert_eq!(
            reminders(&k(&v), NOW, 90),
            vec![
                Reminder::RotationDue {
                    age_days: 329,
                    period_days: 90
                },
                Reminder::NeverTested
            ]
        );
        assert_eq!(reminders(&k(&v), NOW, 0), vec![Reminder::NeverTested]);
        v.record_test(a, passed(), NOW).expect("ok");
        v.rotate(
            a,
            Secret::new("sk-proj-FAKE-rotated-TEST-9999"),
            None,
            datetime!(2026-11-20 0:00 UTC),
        )
        .expect("ok");
        assert_eq!(age_days(&k(&v), NOW), 6);
        // Rotation drops the old test result: the new secret is untested, even when the
        // old one was used.
        v.record_use(a, datetime!(2026-11-19 0:00 UTC)).expect("ok");
        assert_eq!(reminders(&k(&v), NOW, 90), vec![Reminder::NeverTested]);
        // An answer the provider gave with the new secret shows it is accepted.
        v.record_use(a, datetime!(2026-11-21 0:00 UTC)).expect("ok");
        assert!(reminders(&k(&v), NOW, 90).is_empty());
        // A failed test is a reminder while the key is on, with what the test said.
        let failed = TestResult {
            outcome: TestOutcome::InvalidKey,
            message: "The provider refused the key.".into(),
            models: vec![],
        };
        v.record_test(a, failed, NOW).expect("ok");
        let r = reminders(&k(&v), NOW, 90);
        assert_eq!(
            r[0].message(),
            "Its last test failed (The provider refused the key). Fix it and test again, or switch it off."
        );
        // A rate limit, an outage or the network at test time: nothing to fix.
        for outcome in [
            TestOutcome::RateLimited,
            TestOutcome::ProviderDown,
            TestOutcome::Network,
        ] {
            let busy = TestResult {
                outcome,
                message: "Busy.".into(),
                models: vec![],
            };
            v.record_test(a, busy, NOW).expect("ok");
            assert!(reminders(&k(&v), NOW, 90).is_empty(), "{outcome:?}");
        }
        v.set_active(a, false).expect("ok");
        assert!(reminders(&k(&v), NOW, 90).is_empty());
        v.set_active(a, true).expect("ok");
        v.record_test(a, passed(), NOW).expect("ok");
        assert!(reminders(&k(&v), NOW, 90).is_empty());
        let mut e = k(&v);
        e.expires_at = Some(datetime!(2026-12-09 12:00 UTC));
        assert_eq!(
            reminders(&e, NOW, 90),
            vec![Reminder::ExpiresSoon {
                on: date!(2026 - 12 - 09),
                days: 13
            }]
        );
        assert_eq!(
            reminders(&e, NOW, 90)[0].message(),
            "Expires in 13 days (2026-12-09)."
        );
        e.expires_at = Some(datetime!(2026-12-11 12:00 UTC));
        assert!(reminders(&e, NOW, 90).is_empty());
        e.expires_at = Some(datetime!(2026-11-26 11:00 UTC));
        let r = reminders(&e, NOW, 1);
        assert_eq!(r, vec![Reminder::Expired { on: TODAY }]);
        assert!(r[0].message().contains("no longer chosen"));
        e.is_active = false;
        e.expires_at = None;
        e.last_test = None;
        assert!(reminders(&e, NOW, 90).is_empty());
    }

    #[test]
    fn ago_counts_days_where_the_person_is() {
        // 23:00 UTC is 08:00 the next morning in Tokyo: two hours before, the same day.
        let then = datetime!(2026-11-26 23:00 UTC);
        assert_eq!(ago(then, datetime!(2026-11-27 10:00 +09:00)), "today");
        assert_eq!(ago(then, datetime!(2026-11-27 01:00 UTC)), "yesterday");
    }

    #[test]
    fn an_expiry_is_counted_in_days_where_the_person_is() {
        let (v, a, _) = vault();
        let mut e = v.get(a).expect("k").clone();
        e.expires_at = Some(datetime!(2026-12-01 0:00 UTC));
        // Evening of 30 November in UTC-12 (1 December in UTC): due tomorrow, not expired.
        let evening = datetime!(2026-11-30 20:00 -12:00);
        assert!(reminders(&e, evening, 0).contains(&Reminder::ExpiresSoon {
            on: date!(2026 - 12 - 01),
            days: 1
        }));
        let morning = datetime!(2026-12-01 08:00 +14:00);
        assert!(reminders(&e, morning, 0).contains(&Reminder::Expired {
            on: date!(2026 - 12 - 01)
        }));
    }

    #[test]
    fn an_expired_default_is_skipped_by_resolution_and_named() {
        let (mut v, a, b) = vault();
        assert_eq!(v.skipped_expired(Provider::Openai, NOW), None);
        v.edit(
            a,
            crate::model::KeyEdit {
                label: "Work".into(),
                expires_at: Some(datetime!(2026-11-01 0:00 UTC)),
                ..Default::default()
            },
        )
        .expect("ok");
        assert_eq!(v.resolve(Provider::Openai, None, NOW).expect("ok").id, b);
        assert_eq!(
            v.skipped_expired(Provider::Openai, NOW).map(|k| k.id),
            Some(a)
        );
        v.set_active(b, false).expect("ok");
        assert!(
            v.resolve(Provider::Openai, None, NOW)
                .expect_err("refused")
                .to_string()
                .contains("expired on 2026-11-01")
        );
    }

    #[test]
    fn money_and_dates_read_well() {
        assert_eq!(format_usd(0.0), "$0.00");
        assert_eq!(format_usd(1234.5), "$1,234.50");
        assert_eq!(format_usd(0.0123), "$0.01");
        assert_eq!(format_usd(0.00123), "$0.0012");
        assert_eq!(format_usd(0.00000123), "<$0.0001");
        assert_eq!(group_thousands("1234567"), "1,234,567");
        assert_eq!(group_thousands("12"), "12");
        assert_eq!(ago(NOW, NOW), "today");
        assert_eq!(ago(NOW - Duration::days(1), NOW), "yesterday");
        assert_eq!(ago(NOW - Duration::days(9), NOW), "9 days ago");
        assert_eq!(ago(NOW - Duration::days(400), NOW), "2025-10-22");
    }
}
