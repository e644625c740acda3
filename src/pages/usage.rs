//! `/usage`: what the keys spent (requests, tokens, estimated cost) as a chart, a table
//! and a CSV; monthly budgets; the person's own prices; clearing the history.

use byok_core::model::{Provider, Vault};
use byok_core::usage::{
    Line, PriceRule, Prices, Range, Report, UsageError, csv, day_string, format_usd,
    group_thousands, report,
};
use leptos::prelude::*;
use uuid::Uuid;

use crate::components::field_error::{Field, FieldErr};
use crate::components::vault_gate::VaultGate;
use crate::state::session::use_session;
use crate::state::toasts::use_toasts;

#[component]
pub fn UsagePage() -> impl IntoView {
    view! {
        <VaultGate>
            <UsageView/>
        </VaultGate>
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Group {
    Key,
    Provider,
    Model,
    Day,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Metric {
    Tokens,
    Cost,
}

/// Distinct on light and dark backgrounds, and in order of contrast with each other.
const PALETTE: [&str; 8] = [
    "#2563eb", "#d97706", "#059669", "#db2777", "#7c3aed", "#0891b2", "#65a30d", "#dc2626",
];

fn key_label(v: &Vault, id: Uuid) -> String {
    v.usage_label(id)
}

/// "Work (OpenAI)", and "Gemini main (Gemini, deleted)" rather than "(deleted) (Gemini)".
fn key_and_provider(v: &Vault, id: Uuid, p: Provider) -> String {
    let label = key_label(v, id);
    match label.strip_suffix(" (deleted)") {
        Some(base) => format!("{base} ({}, deleted)", p.display_name()),
        None => format!("{label} ({})", p.display_name()),
    }
}

fn n(x: u64) -> String {
    group_thousands(&x.to_string())
}

fn nothing_recorded(r: Range) -> String {
    match r {
        Range::Days(d) => format!("No answers recorded in the last {d} days."),
        Range::All => "No answers recorded yet.".into(),
    }
}

#[component]
fn UsageView() -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let range = RwSignal::new(Range::Days(30));
    let group = RwSignal::new(Group::Key);
    let metric = RwSignal::new(Metric::Tokens);

    let report = Memo::new(move |_| {
        let r = range.get();
        session.vault.with(|v| {
            v.as_ref().map(|v| {
                let prices = Prices {
                    custom: &v.prices,
                    shipped: crate::shipped_prices(),
                };
                report(v, &prices, crate::today(), r)
            })
        })
    });
    let empty = move || report.with(|r| r.as_ref().is_none_or(|r| r.total.totals.requests == 0));

    let download = move |_| {
        let text = session.vault.with_untracked(|v| {
            report.with_untracked(|r| match (v, r) {
                (Some(v), Some(r)) => Some(csv(v, r)),
                _ => None,
            })
        });
        let Some(text) = text else { return };
        let name = format!("byok-usage-{}.csv", day_string(crate::today()));
        if let Err(e) = crate::download::save_file(&text, &name, "text/csv") {
            toasts.error(e.message());
        }
    };

    view! {
        <section class="usage" aria-labelledby="usage-title">
            <div class="toolbar">
                <h1 id="usage-title">"Usage"</h1>
                <div class="segmented" role="group" aria-label="Time range">
                    {[(Range::Days(7), "7 days"), (Range::Days(30), "30 days"), (Range::All, "All")]
                        .into_iter()
                        .map(|(r, text)| view! {
                            <button type="button" class="secondary" aria-pressed=move || (range.get() == r).to_string() on:click=move |_| range.set(r)>{text}</button>
                        })
                        .collect_view()}
                </div>
            </div>
            <p class="hint">"Counted from the token figures each provider sends with its answers; costs are estimates from the price list below. This history is stored only inside your encrypted vault."</p>
            <Show
                when=move || !empty()
                fallback=move || view! {
                    <p class="empty card">{move || format!("{} Chat with a saved key and its usage shows here.", nothing_recorded(range.get()))}</p>
                }
            >
                <Summary report/>
                <div class="card">
                    <div class="row">
                        <h2 id="chart-title">"Per day, by key"</h2>
                        <div class="segmented" role="group" aria-label="Chart shows">
                            <button type="button" class="secondary" aria-pressed=move || (metric.get() == Metric::Tokens).to_string() on:click=move |_| metric.set(Metric::Tokens)>"Tokens"</button>
                            <button type="button" class="secondary" aria-pressed=move || (metric.get() == Metric::Cost).to_string() on:click=move |_| metric.set(Metric::Cost)>"Cost"</button>
                        </div>
                    </div>
                    {move || session.vault.with(|v| report.with(|r| match (v, r) {
                        (Some(v), Some(r)) => chart(v, r, metric.get()).into_any(),
                        _ => ().into_any(),
                    }))}
                </div>
                <div class="card">
                    <div class="row">
                        <h2 id="table-title">"Totals"</h2>
                        <label for="usage-group">"Group by"</label>
                        <select id="usage-group" on:change=move |ev| group.set(match event_target_value(&ev).as_str() {
                            "provider" => Group::Provider,
                            "model" => Group::Model,
                            "day" => Group::Day,
                            _ => Group::Key,
                        })>
                            <option value="key" selected=move || group.get() == Group::Key>"Key"</option>
                            <option value="provider" selected=move || group.get() == Group::Provider>"Provider"</option>
                            <option value="model" selected=move || group.get() == Group::Model>"Model"</option>
                            <option value="day" selected=move || group.get() == Group::Day>"Day"</option>
                        </select>
                        <button type="button" class="secondary" on:click=download>"Download CSV"</button>
                    </div>
                    {move || session.vault.with(|v| report.with(|r| match (v, r) {
                        (Some(v), Some(r)) => table(v, r, group.get()).into_any(),
                        _ => ().into_any(),
                    }))}
                </div>
            </Show>
            <Budgets/>
            <PriceList/>
            <ClearUsage/>
        </section>
    }
}

#[component]
fn Summary(report: Memo<Option<Report>>) -> impl IntoView {
    move || {
        report.with(|r| {
            r.as_ref().map(|r| {
                let t = r.total.totals;
                view! {
                    <dl class="summary card" aria-label="Summary">
                        <div><dt>"Requests"</dt><dd>{n(t.requests)}</dd></div>
                        <div><dt>"Input tokens"</dt><dd>{n(t.input_tokens)}</dd></div>
                        <div><dt>"Output tokens"</dt><dd>{n(t.output_tokens)}</dd></div>
                        <div><dt>"Cached tokens"</dt><dd>{n(t.cached_tokens)}</dd></div>
                        <div><dt>"Estimated cost"</dt><dd>{r.total.cost_text()}</dd></div>
                    </dl>
                }
            })
        })
    }
}

fn metric_value(l: &Line, m: Metric) -> f64 {
    match m {
        Metric::Tokens => l.totals.input_tokens.saturating_add(l.totals.output_tokens) as f64,
        Metric::Cost => l.cost.usd,
    }
}

fn metric_text(v: f64, m: Metric) -> String {
    match m {
        Metric::Tokens => format!("{} tokens", n(v as u64)),
        Metric::Cost => format_usd(v),
    }
}

/// Stacked bars per day, one colour per key, drawn as SVG: the numbers are in each
/// bar's title for pointer and screen-reader users, and in the table below.
fn chart(v: &Vault, r: &Report, m: Metric) -> impl IntoView + use<> {
    const W: f64 = 720.0;
    const H: f64 = 200.0;
    // By the key's place among all keys with usage, not among those in the range: the
    // same key keeps its colour in the 7-day, 30-day and all-time views.
    let places: std::collections::HashMap<Uuid, usize> = v
        .keys_with_usage()
        .into_iter()
        .enumerate()
        .map(|(i, id)| (id, i))
        .collect();
    let colour = |id: &Uuid| {
        let i = places.get(id).copied().unwrap_or(0);
        PALETTE[i % PALETTE.len()]
    };
    let max = r
        .chart
        .iter()
        .map(|d| {
            d.stacks
                .iter()
                .map(|(_, l)| metric_value(l, m))
                .sum::<f64>()
        })
        .fold(0.0_f64, f64::max);
    let slot = W / r.chart.len().max(1) as f64;
    let bar_w = (slot * 0.8).max(1.0);
    let mut rects = Vec::new();
    for (i, d) in r.chart.iter().enumerate() {
        let x = i as f64 * slot + (slot - bar_w) / 2.0;
        let mut y = H;
        for (id, l) in &d.stacks {
            let value = metric_value(l, m);
            let h = if max > 0.0 { value / max * H } else { 0.0 };
            y -= h;
            let title = format!(
                "{} \u{b7} {}: {}",
                day_string(d.day),
                key_label(v, *id),
                metric_text(value, m)
            );
            rects.push(view! {
                <rect
                    class="bar"
                    x=format!("{x:.2}")
                    y=format!("{y:.2}")
                    width=format!("{bar_w:.2}")
                    height=format!("{h:.2}")
                    fill=colour(id)
                    data-day=day_string(d.day)
                    data-key=key_label(v, *id)
                    data-value=value.to_string()
                >
                    <title>{title}</title>
                </rect>
            });
        }
    }
    let first = r
        .chart
        .first()
        .map(|d| day_string(d.day))
        .unwrap_or_default();
    let last = r
        .chart
        .last()
        .map(|d| day_string(d.day))
        .unwrap_or_default();
    let desc = format!(
        "Bars for each day from {first} to {last}, stacked by key; the highest day is {}.",
        metric_text(max, m)
    );
    let legend = r
        .by_key
        .iter()
        .map(|(id, p, l)| {
            let text = format!(
                "{}: {}",
                key_and_provider(v, *id, *p),
                metric_text(metric_value(l, m), m)
            );
            // A presentation attribute, not a style attribute: the CSP forbids inline styles.
            view! {
                <li>
                    <svg class="swatch" viewBox="0 0 12 12" aria-hidden="true"><rect width="12" height="12" rx="3" fill=colour(id)></rect></svg>
                    {text}
                </li>
            }
        })
        .collect_view();
    view! {
        <figure class="chart">
            // The scale's top, where the tallest bar reaches (it was between the dates,
            // where it read as a third date).
            <div class="chart-max" aria-hidden="true">{format!("Highest day: {}", metric_text(max, m))}</div>
            <svg
                viewBox=format!("0 0 {W} {}", H + 2.0)
                role="img"
                aria-labelledby="chart-title chart-desc"
                preserveAspectRatio="none"
            >
                <desc id="chart-desc">{desc}</desc>
                <line x1="0" y1=H.to_string() x2=W.to_string() y2=H.to_string() class="axis"></line>
                {rects}
            </svg>
            <div class="chart-axis" aria-hidden="true">
                <span>{first}</span>
                <span>{last}</span>
            </div>
            <figcaption><ul class="legend" aria-label="Keys">{legend}</ul></figcaption>
        </figure>
    }
}

fn table(v: &Vault, r: &Report, g: Group) -> impl IntoView + use<> {
    let (head, rows): (&str, Vec<(String, Line)>) = match g {
        Group::Key => (
            "Key",
            r.by_key
                .iter()
                .map(|(id, p, l)| (key_and_provider(v, *id, *p), *l))
                .collect(),
        ),
        Group::Provider => (
            "Provider",
            r.by_provider
                .iter()
                .map(|(p, l)| (p.display_name().to_string(), *l))
                .collect(),
        ),
        Group::Model => (
            "Model",
            r.by_model
                .iter()
                .map(|(p, m, l)| (format!("{m} ({})", p.display_name()), *l))
                .collect(),
        ),
        Group::Day => (
            "Day",
            r.by_day.iter().map(|(d, l)| (day_string(*d), *l)).collect(),
        ),
    };
    let row = |name: String, l: Line| {
        let t = l.totals;
        view! {
            <tr role="row">
                <th scope="row" role="rowheader">{name}</th>
                <td role="cell" data-label="Requests">{n(t.requests)}</td>
                <td role="cell" data-label="Input tokens">{n(t.input_tokens)}</td>
                <td role="cell" data-label="Output tokens">{n(t.output_tokens)}</td>
                <td role="cell" data-label="Cached tokens">{n(t.cached_tokens)}</td>
                <td role="cell" data-label="Estimated cost">{l.cost_text()}</td>
            </tr>
        }
    };
    let total = row("Total".into(), r.total);
    view! {
        // Wide tables scroll sideways on a phone: the box takes focus so that the arrow
        // keys can scroll it too.
        <div class="table-wrap" tabindex="0" role="region" aria-labelledby="table-title">
            <table role="table" class="usage-table cards-narrow" aria-labelledby="table-title">
                <thead role="rowgroup">
                    <tr role="row">
                        <th scope="col" role="columnheader">{head}</th>
                        <th scope="col" role="columnheader">"Requests"</th>
                        <th scope="col" role="columnheader">"Input tokens"</th>
                        <th scope="col" role="columnheader">"Output tokens"</th>
                        <th scope="col" role="columnheader">"Cached tokens"</th>
                        <th scope="col" role="columnheader">"Estimated cost"</th>
                    </tr>
                </thead>
                <tbody role="rowgroup">{rows.into_iter().map(|(name, l)| row(name, l)).collect_view()}</tbody>
                <tfoot role="rowgroup">{total}</tfoot>
            </table>
        </div>
    }
}

#[component]
fn Budgets() -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let keys = Memo::new(move |_| {
        session.vault.with(|v| {
            v.as_ref().map_or_else(Vec::new, |v| {
                v.keys
                    .iter()
                    .map(|k| {
                        (
                            k.id,
                            format!("{} ({})", k.label, k.provider.display_name()),
                            v.budgets.get(&k.id).map(|b| b.to_string()),
                        )
                    })
                    .collect::<Vec<_>>()
            })
        })
    });
    view! {
        <details class="card" open=move || session.vault.with(|v| v.as_ref().is_some_and(|v| !v.budgets.is_empty()))>
            <summary><h2>"Monthly budgets"</h2></summary>
            <p class="hint">"Set a monthly budget in US dollars for a key: the key and the chat warn you when this month's estimate passes 80% and 100% of it. Leave empty for no budget."</p>
            <ul class="budgets">
                // Keyed without the budget: saving one must not rebuild its row, which
                // would drop the focus from the field just used.
                <For each=move || keys.get() key=|(id, name, _)| (*id, name.clone()) children=move |(id, name, current)| {
                    let value = RwSignal::new(current.unwrap_or_default());
                    // Shown under the field it is about.
                    let error = RwSignal::new(None::<String>);
                    let input_id = format!("budget-{}", id.simple());
                    let for_id = input_id.clone();
                    let error_id = format!("{input_id}-error");
                    let described = error_id.clone();
                    let save = move |ev: leptos::ev::SubmitEvent| {
                        ev.prevent_default();
                        let text = value.get_untracked();
                        let parsed = match text.trim().trim_start_matches('$') {
                            "" => Ok(None),
                            // As for prices: a comma could be cents or thousands.
                            t if t.contains(',') => Err("Write the budget with a dot for cents and no commas, like 7.50."),
                            t => t.parse::<f64>().map(Some).map_err(|_| "A budget is a number of dollars, like 20 or 7.50."),
                        };
                        let usd = match parsed {
                            Ok(usd) => usd,
                            Err(why) => return error.set(Some(why.into())),
                        };
                        match session.mutate(|v| v.set_budget(id, usd)) {
                            Ok(()) => {
                                error.set(None);
                                toasts.info(match usd {
                                    Some(u) => format!("Budget set to {} a month.", format_usd(u)),
                                    None => "Budget removed.".into(),
                                });
                            }
                            Err(e) => error.set(Some(e.message())),
                        }
                    };
                    view! {
                        <li>
                            <form class="row" on:submit=save>
                                <label for=for_id>{name}</label>
                                <input id=input_id type="text" inputmode="decimal" placeholder="No budget" aria-describedby=described aria-invalid=move || error.with(Option::is_some).to_string() prop:value=move || value.get() on:input=move |ev| { value.set(event_target_value(&ev)); error.set(None); }/>
                                <button type="submit" class="secondary">"Save budget"</button>
                            </form>
                            <Show when=move || error.with(Option::is_some)>
                                <p class="error" id=error_id.clone() role="alert">{move || error.get().unwrap_or_default()}</p>
                            </Show>
                            // Where the budget stands, next to it.
                            {move || {
                                session.today.track();
                                session.vault.with(|v| {
                                    let b = crate::components::key_item::budget_of(v.as_ref()?, id, crate::today())?;
                                    let unpriced = if b.spent.unpriced_requests > 0 {
                                        " Requests to models without a price are not counted."
                                    } else {
                                        ""
                                    };
                                    Some(view! { <p class="hint">{format!(
                                        "This month so far: an estimated {} ({:.0}% of {}).{unpriced}",
                                        format_usd(b.spent.usd),
                                        b.percent().floor(),
                                        format_usd(b.budget)
                                    )}</p> })
                                })
                            }}
                        </li>
                    }
                }/>
            </ul>
        </details>
    }
}

#[component]
fn PriceList() -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let custom = Memo::new(move |_| {
        session
            .vault
            .with(|v| v.as_ref().map(|v| v.prices.clone()).unwrap_or_default())
    });
    let provider = RwSignal::new(Provider::Openai);
    let model = RwSignal::new(String::new());
    let input = RwSignal::new(String::new());
    let output = RwSignal::new(String::new());
    let cached = RwSignal::new(String::new());
    let error = FieldErr::new(
        "price",
        [
            (Field::Provider, "price-provider"),
            (Field::Model, "price-model"),
            (Field::Input, "price-input"),
            (Field::Output, "price-output"),
            (Field::Cached, "price-cached"),
        ],
    );
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let num = |s: RwSignal<String>, what: &str| -> Result<Option<f64>, String> {
            match s.get_untracked().trim().trim_start_matches('$') {
                "" => Ok(None),
                // A decimal comma (many keyboards offer one) or a thousands separator:
                // which one is meant cannot be told, so the person says it with a dot.
                t if t.contains(',') => Err(format!(
                    "Write the {what} price with a dot for cents and no commas, as in 2.50."
                )),
                t => t.parse::<f64>().map(Some).map_err(|_| {
                    format!("The {what} price must be a number of dollars, as in 2.50.")
                }),
            }
        };
        // In the order of the fields; the field to mend takes the focus.
        let parsed = (|| {
            if model.with_untracked(|m| m.trim().is_empty()) {
                return Err((
                    Field::Model,
                    "Give the model: its exact name, or the start of its names followed by *."
                        .to_string(),
                ));
            }
            let i = num(input, "input")
                .and_then(|i| i.ok_or_else(|| "Give the input price.".into()))
                .map_err(|e| (Field::Input, e))?;
            let o = num(output, "output")
                .and_then(|o| o.ok_or_else(|| "Give the output price.".into()))
                .map_err(|e| (Field::Output, e))?;
            let c = num(cached, "cached").map_err(|e| (Field::Cached, e))?;
            PriceRule::new(provider.get_untracked(), &model.get_untracked(), i, o, c).map_err(|e| {
                let field = match &e {
                    UsageError::BadPrice("input") => Field::Input,
                    UsageError::BadPrice("output") => Field::Output,
                    UsageError::BadPrice(_) | UsageError::CachedAboveInput => Field::Cached,
                    // The name is likely right (copied from the provider's page): it is
                    // the provider that was left at the last one chosen.
                    UsageError::OtherMakersModel { .. } => Field::Provider,
                    _ => Field::Model,
                };
                (field, e.to_string())
            })
        })();
        let rule = match parsed {
            Ok(r) => r,
            Err((field, e)) => return error.show(field, e),
        };
        let name = rule.model.clone();
        match session.mutate(move |v| {
            v.set_price(rule);
            Ok::<(), byok_core::model::ModelError>(())
        }) {
            Ok(()) => {
                error.clear();
                model.set(String::new());
                input.set(String::new());
                output.set(String::new());
                cached.set(String::new());
                toasts.info(format!("Price for {name} saved."));
            }
            Err(e) => error.show(Field::Form, e.message()),
        }
    };
    let price_row = |r: &PriceRule| {
        (
            r.provider.display_name(),
            r.model.clone(),
            price(r.input),
            price(r.output),
            r.cached.map_or_else(|| "as input".into(), price),
        )
    };
    let shipped = crate::shipped_prices()
        .iter()
        .map(|r| {
            let (p, m, i, o, c) = price_row(r);
            let checked = r.checked.clone();
            view! { <tr role="row"><td role="cell">{p}</td><td role="cell" class="model">{m}</td><td role="cell" data-label="Input">{i}</td><td role="cell" data-label="Output">{o}</td><td role="cell" data-label="Cached">{c}</td><td role="cell" data-label="Checked">{checked}</td></tr> }
        })
        .collect_view();
    view! {
        <details class="card">
            <summary><h2>"Prices"</h2></summary>
            <p class="hint">"US dollars per million tokens. Your prices win over the built-in list; a name ending in * covers every model starting with it. Models with no price show their tokens and \u{201c}price unknown\u{201d}."</p>
            <h3>"Your prices"</h3>
            <Show when=move || custom.with(|c| !c.is_empty()) fallback=|| view! { <p class="hint">"None yet."</p> }>
                <div id="your-prices" class="table-wrap" tabindex="0" role="region" aria-label="Your prices">
                    <table role="table" class="cards-narrow" aria-label="Your prices">
                        <thead role="rowgroup"><tr role="row"><th scope="col" role="columnheader">"Provider"</th><th scope="col" role="columnheader">"Model"</th><th scope="col" role="columnheader">"Input"</th><th scope="col" role="columnheader">"Output"</th><th scope="col" role="columnheader">"Cached"</th><th scope="col" role="columnheader"><span class="sr-only">"Actions"</span></th></tr></thead>
                        <tbody role="rowgroup">
                            {move || custom.get().into_iter().map(|r| {
                                let (p, m, i, o, c) = price_row(&r);
                                let (rp, rm) = (r.provider, r.model.clone());
                                let remove_label = format!("Remove the price for {m}");
                                view! {
                                    <tr role="row">
                                        <td role="cell">{p}</td><td role="cell" class="model">{m}</td><td role="cell" data-label="Input">{i}</td><td role="cell" data-label="Output">{o}</td><td role="cell" data-label="Cached">{c}</td>
                                        <td role="cell"><button type="button" class="secondary" aria-label=remove_label on:click=move |_| {
                                            let rm = rm.clone();
                                            let name = rm.clone();
                                            match session.mutate(move |v| { v.remove_price(rp, &rm); Ok::<(), byok_core::model::ModelError>(()) }) {
                                                Ok(()) => {
                                                    toasts.info(format!("Price for {name} removed."));
                                                    // Not onto the next row's Remove, where a second
                                                    // Enter would remove that one too.
                                                    crate::focus::focus_when_drawn("#your-prices, #price-model");
                                                }
                                                Err(e) => toasts.error(e.message()),
                                            }
                                        }>"Remove"</button></td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            </Show>
            <form class="price-form stack" novalidate on:submit=add aria-label="Add or change a price" on:input=move |_| error.clear()>
                <h3>"Add or change a price"</h3>
                <div class="fields">
                    <div class="field">
                        <label for="price-provider">"Provider"</label>
                        <select id="price-provider" aria-invalid=error.invalid(Field::Provider) aria-describedby=error.id(Field::Provider) on:change=move |ev| if let Some(p) = Provider::from_id(&event_target_value(&ev)) { provider.set(p) }>
                            {Provider::ALL.into_iter().map(|p| view! { <option value=p.id() selected=move || provider.get() == p>{p.display_name()}</option> }).collect_view()}
                        </select>
                    </div>
                    <div class="field wide">
                        <label for="price-model">"Model"</label>
                        <input id="price-model" type="text" aria-invalid=error.invalid(Field::Model) aria-describedby=error.id(Field::Model) placeholder="gpt-4o-mini or llama-3*" prop:value=move || model.get() on:input=move |ev| model.set(event_target_value(&ev))/>
                    </div>
                    {[(Field::Input, "price-input", "Input $", input), (Field::Output, "price-output", "Output $", output), (Field::Cached, "price-cached", "Cached $ (optional)", cached)]
                        .into_iter()
                        .map(|(field, id, label, value)| view! {
                            <div class="field">
                                <label for=id>{label}</label>
                                <input id=id type="text" aria-invalid=error.invalid(field) aria-describedby=error.id(field) inputmode="decimal" prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))/>
                            </div>
                        })
                        .collect_view()}
                </div>
                // Below the grid, where a sentence has room; the field it is about is
                // marked invalid, focused, and described by it alone.
                {[Field::Provider, Field::Model, Field::Input, Field::Output, Field::Cached, Field::Form].map(|f| error.view(f))}
                <div class="row">
                    <button type="submit">"Save price"</button>
                </div>
            </form>
            <details>
                <summary>"Built-in prices"</summary>
                <div class="table-wrap" tabindex="0" role="region" aria-label="Built-in prices">
                    <table role="table" class="cards-narrow" aria-label="Built-in prices">
                        <thead role="rowgroup"><tr role="row"><th scope="col" role="columnheader">"Provider"</th><th scope="col" role="columnheader">"Model"</th><th scope="col" role="columnheader">"Input"</th><th scope="col" role="columnheader">"Output"</th><th scope="col" role="columnheader">"Cached"</th><th scope="col" role="columnheader">"Checked"</th></tr></thead>
                        <tbody role="rowgroup">{shipped}</tbody>
                    </table>
                </div>
            </details>
        </details>
    }
}

#[component]
fn ClearUsage() -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let asking = RwSignal::new(false);
    let clear = move |_| {
        match session.mutate(|v| {
            v.clear_usage();
            Ok::<(), byok_core::model::ModelError>(())
        }) {
            Ok(()) => toasts.info("Usage history cleared."),
            Err(e) => toasts.error(e.message()),
        }
        asking.set(false);
    };
    // Back on the button that asked, not lost with the question.
    let cancel = move || {
        asking.set(false);
        crate::focus::focus_when_drawn("#clear-usage");
    };
    view! {
        <div class="card">
            <Show
                when=move || asking.get()
                fallback=move || view! {
                    <button type="button" id="clear-usage" class="danger" on:click=move |_| asking.set(true)>"Clear usage history"</button>
                }
            >
                <div role="alertdialog" aria-labelledby="clear-usage-q" class="stack"
                    on:keydown=move |ev| if ev.key() == "Escape" { ev.prevent_default(); cancel(); }>
                    <p id="clear-usage-q">"Clear the recorded usage of every key? Keys, budgets and prices stay; this cannot be undone."</p>
                    <div class="row">
                        <button type="button" class="danger" on:click=clear>"Yes, clear usage"</button>
                        <button type="button" class="secondary" node_ref=crate::focus::focus_on_show() on:click=move |_| cancel()>"Cancel"</button>
                    </div>
                </div>
            </Show>
        </div>
    }
}

/// A price per million tokens as prices are written: at least two decimals ("$0.60"),
/// more where it has them ("$0.075").
fn price(usd: f64) -> String {
    let s = usd.to_string();
    let decimals = s.split_once('.').map_or(0, |(_, f)| f.len());
    let s = match decimals {
        0 => format!("{s}.00"),
        1 => format!("{s}0"),
        _ => s,
    };
    format!("${}", group_thousands(&s))
}
