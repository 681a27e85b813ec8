//! The CSV tables of the downloads, computed from the [`Dataset`](crate::model::Dataset):
//! one function per table, each giving its columns (with their constraints) and its rows.
//!
//! Rows follow the dataset's order (records by id, list items as written), so the tables
//! are deterministic. Text is given in the site's default language; amounts in their
//! original currency and in US dollars.

use serde_json::Value;

use super::table::{CODE3_PATTERN, Field, ForeignKey, Table, date, list, money, opt, opt_date, opt_num};
use crate::aggregate;
use crate::render::views::Views;

/// The country roles of `project_countries.csv` (see `Views::country_roles`).
pub const COUNTRY_ROLES: &[&str] = &["provider", "both", "recipient", "second-provider", "participant"];

/// Hands every table to `f`, one at a time, in the order the Data page lists them (so that
/// a table's rows can be let go before the next one is made).
pub fn each(views: &Views<'_>, mut f: impl FnMut(Table)) {
    let t = Tables { views };
    f(t.projects());
    f(t.participants());
    f(t.project_countries());
    f(t.project_sectors());
    f(t.transactions());
    f(t.results());
    f(t.evaluations());
    f(t.actors());
    f(t.funds());
    f(t.exchanges());
    f(t.countries());
    f(t.editions());
    f(t.edition_projects());
}

struct Tables<'v, 'a> {
    views: &'v Views<'a>,
}

/// The description of a multi-valued column (its values joined with `;`, see [`list`]).
macro_rules! listed {
    ($s:literal) => {
        concat!($s, " Several values are separated by `;`.")
    };
}

impl Tables<'_, '_> {
    fn vocab(&self, name: &str) -> Vec<String> {
        self.views
            .data
            .vocabularies
            .values(name)
            .iter()
            .map(|e| e.id.clone())
            .collect()
    }

    fn text(&self, t: &crate::model::Text) -> String {
        self.views.text(t)
    }

    fn opt_text(&self, t: &Option<crate::model::Text>) -> String {
        t.as_ref().map(|t| self.text(t)).unwrap_or_default()
    }

    fn money(&self, m: Option<&crate::model::Money>, default_year: Option<i32>) -> [String; 4] {
        money(m, default_year, |m| self.views.data.to_usd(m, default_year))
    }

    /// The four columns of an amount named `prefix` (`budget` → `budget_amount`, ...).
    fn money_fields(names: [&'static str; 4]) -> Vec<Field> {
        vec![
            Field::number(names[0], "The amount, in its original currency.").min(0),
            Field::string(names[1], "The ISO 4217 code of the original currency.").pattern(CODE3_PATTERN),
            Field::integer(
                names[2],
                "The year the amount refers to, which picks the exchange rate: its own year, else the initiative's start year.",
            ),
            Field::number(
                names[3],
                "The amount in US dollars (annual average rate of that year from the site's exchange-rate table), rounded to cents.",
            )
            .min(0),
        ]
    }

    fn project_fk() -> ForeignKey {
        ForeignKey::new("project", "projects", "id")
    }

    fn project_field() -> Field {
        Field::id("project", "The initiative (its id in projects.csv).").required()
    }

    fn position_field(what: &'static str) -> Field {
        Field::integer("position", what).required().min(1)
    }

    fn projects(&self) -> Table {
        let mut fields = vec![
            Field::id(
                "id",
                "The initiative's id: its file name in content/projects/ without `.md`.",
            )
            .required()
            .unique(),
            Field::string("title", "The title, in the site's default language.").required(),
            Field::string(
                "summary",
                "One paragraph for lists and search, in the site's default language.",
            )
            .required(),
            Field::string("instrument", "Programme, project or action.")
                .required()
                .one_of(self.vocab("instruments")),
            Field::string("modality", "Bilateral, triangular or regional.")
                .required()
                .one_of(self.vocab("modalities")),
            Field::string("status", "The stage the initiative has reached.")
                .required()
                .one_of(self.vocab("project-statuses")),
            Field::date("start", "The start date: YYYY, YYYY-MM or YYYY-MM-DD.").required(),
            Field::date("end", "The end date: YYYY, YYYY-MM or YYYY-MM-DD; empty while ongoing."),
            Field::integer("start_year", "The year of the start date.").required(),
            Field::integer("end_year", "The year of the end date; empty while ongoing."),
            Field::string(
                "provider_countries",
                listed!("Provider countries (ISO 3166-1 alpha-3)."),
            ),
            Field::string(
                "recipient_countries",
                listed!("Recipient countries (ISO 3166-1 alpha-3)."),
            ),
            Field::string(
                "second_provider_countries",
                listed!("Second providers of a triangular initiative (ISO 3166-1 alpha-3)."),
            ),
            Field::string(
                "participant_countries",
                listed!("Countries taking part in a regional initiative (ISO 3166-1 alpha-3)."),
            ),
            Field::id(
                "regional_mechanism",
                "The regional body behind a regional initiative (its id in actors.csv).",
            ),
            Field::string("sectors", listed!("Sectors (ids of the sectors vocabulary).")).required(),
            Field::string("sdgs", listed!("Sustainable Development Goals (1 to 17).")),
            Field::string("financing_type", "Non-refundable, refundable or mixed.")
                .one_of(self.vocab("financing-types")),
        ];
        fields.extend(Self::money_fields([
            "budget_amount",
            "budget_currency",
            "budget_year",
            "budget_usd",
        ]));
        fields.extend([
            Field::string("funds", listed!("Funds financing the initiative (ids in funds.csv).")),
            Field::integer("beneficiaries_people", "People who benefit.").min(0),
            Field::integer("beneficiaries_women", "Women among them.").min(0),
            Field::integer("beneficiaries_men", "Men among them.").min(0),
            Field::integer("beneficiaries_other", "Other genders among them.").min(0),
            Field::integer("beneficiary_organizations", "Organizations that benefit.").min(0),
            Field::string("outcome", "The overall outcome; `unknown` when the record gives none.")
                .required()
                .one_of(self.vocab("outcomes")),
            Field::string("consultation_indigenous_peoples", "Were Indigenous Peoples consulted?")
                .one_of(self.vocab("answers")),
            Field::string("consultation_social_movements", "Were social movements consulted?")
                .one_of(self.vocab("answers")),
            Field::string(
                "consultation_womens_organizations",
                "Were women's organizations consulted?",
            )
            .one_of(self.vocab("answers")),
            Field::date(
                "evaluation_date",
                "When the initiative was evaluated (answers in evaluations.csv).",
            ),
            Field::integer(
                "participants",
                "The number of rows of the initiative in participants.csv.",
            )
            .required()
            .min(0),
            Field::string("tags", listed!("Free keywords.")),
            Field::string("page", "The initiative's page, relative to the site root.").required(),
            Field::string("file", "The record's file, relative to the site's folder.").required(),
        ]);
        let rows = self
            .views
            .data
            .projects
            .values()
            .map(|p| {
                let d = &p.data;
                let start = Some(d.start.year);
                let c = &d.countries;
                let f = d.financing.as_ref();
                let b = d.beneficiaries.as_ref();
                let answer =
                    |a: Option<&crate::model::AnsweredQuestion>| a.map(|a| a.answer.clone()).unwrap_or_default();
                let consult = d.consultation.as_ref();
                let mut row = vec![
                    p.id.clone(),
                    self.text(&d.title),
                    self.text(&d.summary),
                    d.instrument.clone(),
                    d.modality.clone(),
                    d.status.clone(),
                    date(&d.start),
                    opt_date(&d.end),
                    d.start.year.to_string(),
                    opt(d.end.map(|e| e.year)),
                    list(&c.providers),
                    list(&c.recipients),
                    list(&c.second_providers),
                    list(&c.participants),
                    opt(d.regional_mechanism.as_ref()),
                    list(&d.sectors),
                    list(&d.sdgs.iter().map(u8::to_string).collect::<Vec<_>>()),
                    opt(f.and_then(|f| f.kind.as_ref())),
                ];
                row.extend(self.money(f.and_then(|f| f.budget.as_ref()), start));
                row.extend([
                    list(f.map_or(&[][..], |f| &f.funds)),
                    opt(b.and_then(|b| b.people)),
                    opt(b.and_then(|b| b.women)),
                    opt(b.and_then(|b| b.men)),
                    opt(b.and_then(|b| b.other)),
                    opt(b.and_then(|b| b.organizations)),
                    d.outcome.clone(),
                    answer(consult.and_then(|c| c.indigenous_peoples.as_ref())),
                    answer(consult.and_then(|c| c.social_movements.as_ref())),
                    answer(consult.and_then(|c| c.womens_organizations.as_ref())),
                    opt_date(&d.evaluation.as_ref().and_then(|e| e.date)),
                    d.participants.len().to_string(),
                    list(&d.tags),
                    crate::paths::project_page(&p.id),
                    p.file.clone(),
                ]);
                row
            })
            .collect();
        Table {
            name: "projects".into(),
            title: "Initiatives".into(),
            description: "One row per South-South Cooperation initiative (programme, project or action), with its countries, sectors, budget, beneficiaries, outcome and consultation answers.".into(),
            fields,
            primary_key: vec!["id"],
            foreign_keys: vec![ForeignKey::new("regional_mechanism", "actors", "id")],
            rows,
            path: None,
        }
    }

    fn participants(&self) -> Table {
        let mut fields = vec![
            Self::project_field(),
            Self::position_field("The participant's position in the initiative's list, from 1."),
            Field::id("actor", "The organization (its id in actors.csv).").required(),
            Field::string("actor_type", "The organization's type (copied from actors.csv).")
                .required()
                .one_of(self.vocab("actor-types")),
            Field::boolean(
                "civil_society",
                "Does the organization's type count as civil society (copied from actors.csv)?",
            )
            .required(),
            Field::string("role", "The role the organization plays in the initiative.")
                .required()
                .one_of(self.vocab("roles")),
            Field::string("phases", listed!("The phases it takes part in.")),
        ];
        fields.extend(Self::money_fields([
            "financial_amount",
            "financial_currency",
            "financial_year",
            "financial_usd",
        ]));
        fields.push(Field::string("in_kind_description", "What it contributes in kind."));
        fields.extend(Self::money_fields([
            "in_kind_amount",
            "in_kind_currency",
            "in_kind_year",
            "in_kind_usd",
        ]));
        fields.extend([
            Field::integer("staff_people", "People it contributes.").min(0),
            Field::integer("staff_person_days", "Person-days it contributes.").min(0),
            Field::string("note", "A note on its participation."),
        ]);
        let data = self.views.data;
        let mut rows = Vec::new();
        for p in data.projects.values() {
            let start = Some(p.data.start.year);
            for (i, x) in p.data.participants.iter().enumerate() {
                let kind = data.actor(&x.actor).map(|a| a.data.kind.clone()).unwrap_or_default();
                let c = x.contribution.as_ref();
                let in_kind = c.and_then(|c| c.in_kind.as_ref());
                let staff = c.and_then(|c| c.staff.as_ref());
                let mut row = vec![
                    p.id.clone(),
                    (i + 1).to_string(),
                    x.actor.clone(),
                    kind.clone(),
                    data.vocabularies.is_civil_society(&kind).to_string(),
                    x.role.clone(),
                    list(&x.phases),
                ];
                row.extend(self.money(c.and_then(|c| c.financial.as_ref()), start));
                row.push(in_kind.map(|k| self.opt_text(&k.description)).unwrap_or_default());
                row.extend(self.money(in_kind.and_then(|k| k.value.as_ref()), start));
                row.extend([
                    opt(staff.and_then(|s| s.people)),
                    opt(staff.and_then(|s| s.person_days)),
                    self.opt_text(&x.note),
                ]);
                rows.push(row);
            }
        }
        Table {
            name: "participants".into(),
            title: "Participants".into(),
            description: "One row per initiative, organization and role: the phases it took part in and its financial, in-kind and staff contributions, in original currency and US dollars.".into(),
            fields,
            primary_key: vec!["project", "position"],
            foreign_keys: vec![Self::project_fk(), ForeignKey::new("actor", "actors", "id")],
            rows,
            path: None,
        }
    }

    fn project_countries(&self) -> Table {
        let fields = vec![
            Self::project_field(),
            Field::string("country", "The country (ISO 3166-1 alpha-3; its row in countries.csv).")
                .required()
                .pattern(CODE3_PATTERN),
            Field::string(
                "role",
                "The country's role: provider, recipient, both (listed as provider and recipient), second-provider or participant.",
            )
            .required()
            .one_of(COUNTRY_ROLES.iter().map(|r| r.to_string()).collect()),
        ];
        let mut rows = Vec::new();
        for p in self.views.data.projects.values() {
            for (code, role) in self.views.country_roles(&p.data) {
                rows.push(vec![p.id.clone(), code.to_owned(), role.to_owned()]);
            }
        }
        Table {
            name: "project_countries".into(),
            title: "Countries of initiatives".into(),
            description: "One row per initiative and country, with the country's role.".into(),
            fields,
            primary_key: vec!["project", "country"],
            foreign_keys: vec![Self::project_fk(), ForeignKey::new("country", "countries", "code")],
            rows,
            path: None,
        }
    }

    fn project_sectors(&self) -> Table {
        let fields = vec![
            Self::project_field(),
            Field::string("sector", "The sector (id of the sectors vocabulary).")
                .required()
                .one_of(self.vocab("sectors")),
            Field::integer("dac", "The sector's OECD DAC 3-digit code.")
                .min(100)
                .max(999),
        ];
        let mut rows = Vec::new();
        for p in self.views.data.projects.values() {
            for s in &p.data.sectors {
                let dac = self
                    .views
                    .data
                    .vocabularies
                    .get("sectors", s)
                    .and_then(|e| e.fields.get("dac"))
                    .and_then(Value::as_i64);
                rows.push(vec![p.id.clone(), s.clone(), opt(dac)]);
            }
        }
        Table {
            name: "project_sectors".into(),
            title: "Sectors of initiatives".into(),
            description: "One row per initiative and sector, with the sector's OECD DAC code.".into(),
            fields,
            primary_key: vec!["project", "sector"],
            foreign_keys: vec![Self::project_fk()],
            rows,
            path: None,
        }
    }

    fn transactions(&self) -> Table {
        let mut fields = vec![
            Self::project_field(),
            Self::position_field("The transaction's position in the initiative's list, from 1."),
            Field::date("date", "The date of the transaction: YYYY, YYYY-MM or YYYY-MM-DD.").required(),
            Field::string("type", "Commitment, disbursement or expenditure.")
                .required()
                .one_of(self.vocab("transaction-types")),
        ];
        fields.extend(Self::money_fields(["amount", "currency", "year", "usd"]));
        fields[4].required = true;
        fields[5].required = true;
        fields.extend([
            Field::id("from", "The organization the money comes from (its id in actors.csv)."),
            Field::id("to", "The organization the money goes to (its id in actors.csv)."),
        ]);
        let mut rows = Vec::new();
        for p in self.views.data.projects.values() {
            let start = Some(p.data.start.year);
            let transactions = p.data.financing.as_ref().map_or(&[][..], |f| &f.transactions);
            for (i, t) in transactions.iter().enumerate() {
                let mut row = vec![p.id.clone(), (i + 1).to_string(), date(&t.date), t.kind.clone()];
                row.extend(self.money(Some(&t.amount), start));
                row.extend([opt(t.from.as_ref()), opt(t.to.as_ref())]);
                rows.push(row);
            }
        }
        Table {
            name: "transactions".into(),
            title: "Transactions".into(),
            description: "One row per financial transaction of an initiative, in original currency and US dollars."
                .into(),
            fields,
            primary_key: vec!["project", "position"],
            foreign_keys: vec![
                Self::project_fk(),
                ForeignKey::new("from", "actors", "id"),
                ForeignKey::new("to", "actors", "id"),
            ],
            rows,
            path: None,
        }
    }

    fn results(&self) -> Table {
        let fields = vec![
            Self::project_field(),
            Self::position_field("The result's position in the initiative's list, from 1."),
            Field::string("indicator", "What is measured, in the site's default language.").required(),
            Field::string("type", "Output, outcome or impact.").one_of(self.vocab("result-types")),
            Field::string("unit", "The unit of the values."),
            Field::number("baseline_value", "The value before the initiative."),
            Field::integer("baseline_year", "The year of the baseline."),
            Field::number("target_value", "The value aimed at."),
            Field::integer("target_year", "The year of the target."),
            Field::number("actual_value", "The value reached."),
            Field::integer("actual_year", "The year of the value reached."),
        ];
        let mut rows = Vec::new();
        for p in self.views.data.projects.values() {
            for (i, r) in p.data.results.iter().enumerate() {
                let mut row = vec![
                    p.id.clone(),
                    (i + 1).to_string(),
                    self.text(&r.indicator),
                    opt(r.kind.as_ref()),
                    opt(r.unit.as_ref()),
                ];
                for m in [&r.baseline, &r.target, &r.actual] {
                    row.push(opt_num(m.as_ref().and_then(|m| m.value)));
                    row.push(opt(m.as_ref().and_then(|m| m.year)));
                }
                rows.push(row);
            }
        }
        Table {
            name: "results".into(),
            title: "Results".into(),
            description: "One row per result indicator of an initiative, with its baseline, target and actual values."
                .into(),
            fields,
            primary_key: vec!["project", "position"],
            foreign_keys: vec![Self::project_fk()],
            rows,
            path: None,
        }
    }

    fn evaluations(&self) -> Table {
        let questions = self.vocab("evaluation-questions");
        let fields = vec![
            Self::project_field(),
            Field::string("question", "The question (id of the evaluation-questions vocabulary).")
                .required()
                .one_of(questions.clone()),
            Field::string("answer", "Yes, partly, no or unknown.")
                .required()
                .one_of(self.vocab("answers")),
            Field::string(
                "evidence",
                "The evidence for the answer, in the site's default language.",
            ),
            Field::date("evaluation_date", "When the initiative was evaluated."),
            Field::string("evaluated_by", listed!("Who evaluated it (ids in actors.csv).")),
        ];
        let mut rows = Vec::new();
        for p in self.views.data.projects.values() {
            let Some(e) = &p.data.evaluation else { continue };
            // Vocabulary order, then any other key in key order.
            let mut keys: Vec<&String> = questions.iter().filter(|q| e.questions.contains_key(*q)).collect();
            keys.extend(e.questions.keys().filter(|k| !questions.contains(k)));
            for key in keys {
                let a = &e.questions[key];
                rows.push(vec![
                    p.id.clone(),
                    key.clone(),
                    a.answer.clone(),
                    self.opt_text(&a.evidence),
                    opt_date(&e.date),
                    list(&e.by),
                ]);
            }
        }
        Table {
            name: "evaluations".into(),
            title: "Evaluations".into(),
            description: "One row per initiative and evaluation question answered: the six questions every South-South Cooperation process should answer.".into(),
            fields,
            primary_key: vec!["project", "question"],
            foreign_keys: vec![Self::project_fk()],
            rows,
            path: None,
        }
    }

    fn actors(&self) -> Table {
        let fields = vec![
            Field::id(
                "id",
                "The organization's id: its file name in content/actors/ without `.md`.",
            )
            .required()
            .unique(),
            Field::string("name", "The name, in the site's default language.").required(),
            Field::string("acronym", "The acronym."),
            Field::string("type", "The type of organization.")
                .required()
                .one_of(self.vocab("actor-types")),
            Field::boolean("civil_society", "Does the type count as civil society?").required(),
            Field::integer(
                "iati_organisation_type",
                "The IATI OrganisationType code the type maps to (an international NGO is 21).",
            ),
            Field::string("country", "The country (ISO 3166-1 alpha-3; its row in countries.csv).")
                .pattern(CODE3_PATTERN),
            Field::string("scope", "Local, national, regional or international.").one_of(self.vocab("actor-scopes")),
            Field::integer("founded", "The year it was founded."),
            Field::string("website", "Its web address."),
            Field::id("parent", "The organization it belongs to (its id in this table)."),
            Field::string("capacities", listed!("Sectors it can offer to cooperation.")),
            Field::string("page", "The organization's page, relative to the site root.").required(),
            Field::string("file", "The record's file, relative to the site's folder.").required(),
        ];
        let vocab = &self.views.data.vocabularies;
        let rows = self
            .views
            .data
            .actors
            .values()
            .map(|a| {
                let d = &a.data;
                vec![
                    a.id.clone(),
                    self.text(&d.name),
                    opt(d.acronym.as_ref()),
                    d.kind.clone(),
                    vocab.is_civil_society(&d.kind).to_string(),
                    opt(super::iati_organisation_type(vocab, d)),
                    opt(d.country.as_ref()),
                    opt(d.scope.as_ref()),
                    opt(d.founded),
                    opt(d.website.as_ref()),
                    opt(d.parent.as_ref()),
                    list(&d.capacities),
                    crate::paths::actor_page(&a.id),
                    a.file.clone(),
                ]
            })
            .collect();
        Table {
            name: "actors".into(),
            title: "Actors".into(),
            description: "One row per organization: government bodies, cooperation agencies, civil-society organizations, academia, funders and regional bodies.".into(),
            fields,
            primary_key: vec!["id"],
            foreign_keys: vec![
                ForeignKey::new("country", "countries", "code"),
                ForeignKey::new("parent", "actors", "id"),
            ],
            rows,
            path: None,
        }
    }

    fn funds(&self) -> Table {
        let mut fields = vec![
            Field::id("id", "The fund's id: its file name in content/funds/ without `.md`.")
                .required()
                .unique(),
            Field::string("name", "The name, in the site's default language.").required(),
            Field::string("acronym", "The acronym."),
            Field::id("administered_by", "Who administers it (its id in actors.csv).").required(),
            Field::string("contributors", listed!("Who contributes to it (ids in actors.csv).")),
            Field::string("type", "The kind of financing source.")
                .required()
                .one_of(self.vocab("fund-types")),
            Field::string("financing", "Non-refundable, refundable or mixed.")
                .required()
                .one_of(self.vocab("financing-types")),
        ];
        fields.extend(Self::money_fields([
            "capital_amount",
            "capital_currency",
            "capital_year",
            "capital_usd",
        ]));
        fields.extend(Self::money_fields([
            "grant_min_amount",
            "grant_min_currency",
            "grant_min_year",
            "grant_min_usd",
        ]));
        fields.extend(Self::money_fields([
            "grant_max_amount",
            "grant_max_currency",
            "grant_max_year",
            "grant_max_usd",
        ]));
        fields.extend([
            Field::string(
                "eligible_applicants",
                listed!("Types of organization that may apply; empty when the sources do not say."),
            ),
            Field::string(
                "eligible_countries",
                listed!("Countries that may apply (ISO 3166-1 alpha-3); empty means any developing country."),
            ),
            Field::string("eligible_regions", listed!("UN M49 regions that may apply.")),
            Field::string("eligible_modalities", listed!("Modalities it finances.")),
            Field::string("sectors", listed!("Sectors it finances.")),
            Field::string("application_url", "Where to apply."),
            Field::string("application_deadline", "The application deadline, as written."),
            Field::string(
                "application_languages",
                listed!("Languages applications may be written in."),
            ),
            Field::string("contact_email", "Contact e-mail address."),
            Field::string("contact_url", "Contact web address."),
            Field::string("status", "Active or closed.")
                .required()
                .one_of(self.vocab("fund-statuses")),
            Field::string("page", "The fund's page, relative to the site root.").required(),
            Field::string("file", "The record's file, relative to the site's folder.").required(),
        ]);
        let rows = self
            .views
            .data
            .funds
            .values()
            .map(|f| {
                let d = &f.data;
                let mut row = vec![
                    f.id.clone(),
                    self.text(&d.name),
                    opt(d.acronym.as_ref()),
                    d.administered_by.clone(),
                    list(&d.contributors),
                    d.kind.clone(),
                    d.financing.clone(),
                ];
                let grant = d.grant_size.as_ref();
                row.extend(self.money(d.capital.as_ref(), None));
                row.extend(self.money(grant.and_then(|g| g.min.as_ref()), None));
                row.extend(self.money(grant.and_then(|g| g.max.as_ref()), None));
                let app = d.application.as_ref();
                let contact = d.contact.as_ref();
                row.extend([
                    list(&d.eligible.applicants),
                    list(&d.eligible.countries),
                    list(&d.eligible.regions),
                    list(&d.eligible.modalities),
                    list(&d.sectors),
                    opt(app.and_then(|a| a.url.as_ref())),
                    app.map(|a| self.opt_text(&a.deadline)).unwrap_or_default(),
                    list(app.map_or(&[][..], |a| &a.languages)),
                    opt(contact.and_then(|c| c.email.as_ref())),
                    opt(contact.and_then(|c| c.url.as_ref())),
                    d.status.clone(),
                    crate::paths::fund_page(&f.id),
                    f.file.clone(),
                ]);
                row
            })
            .collect();
        Table {
            name: "funds".into(),
            title: "Funds".into(),
            description: "One row per financing source of the Directory of Cooperation Sources: who administers it, what it finances and who may apply.".into(),
            fields,
            primary_key: vec!["id"],
            foreign_keys: vec![ForeignKey::new("administered_by", "actors", "id")],
            rows,
            path: None,
        }
    }

    fn exchanges(&self) -> Table {
        let fields = vec![
            Field::id(
                "id",
                "The offer's or request's id: its file name in content/exchanges/ without `.md`.",
            )
            .required()
            .unique(),
            Field::string("kind", "Offer or request.")
                .required()
                .one_of(self.vocab("exchange-kinds")),
            Field::id("by", "Who offers or requests (its id in actors.csv).").required(),
            Field::string("country", "The country (ISO 3166-1 alpha-3; its row in countries.csv).")
                .pattern(CODE3_PATTERN),
            Field::string("title", "The title, in the site's default language.").required(),
            Field::string("summary", "The summary, in the site's default language.").required(),
            Field::string("sectors", listed!("Sectors (ids of the sectors vocabulary).")).required(),
            Field::string("modalities", listed!("Modalities.")),
            Field::date("posted", "When it was posted.").required(),
            Field::date("open_until", "Until when it is open."),
            Field::string("status", "Open, matched or closed.")
                .required()
                .one_of(self.vocab("exchange-statuses")),
            Field::id(
                "resulting_project",
                "The initiative it led to (its id in projects.csv).",
            ),
        ];
        let rows = self
            .views
            .data
            .exchanges
            .values()
            .map(|e| {
                let d = &e.data;
                vec![
                    e.id.clone(),
                    d.kind.clone(),
                    d.by.clone(),
                    opt(d.country.as_ref()),
                    self.text(&d.title),
                    self.text(&d.summary),
                    list(&d.sectors),
                    list(&d.modalities),
                    date(&d.posted),
                    opt_date(&d.open_until),
                    d.status.clone(),
                    opt(d.resulting_project.as_ref()),
                ]
            })
            .collect();
        Table {
            name: "exchanges".into(),
            title: "Offers and requests".into(),
            description: "One row per offer of, or request for, cooperation.".into(),
            fields,
            primary_key: vec!["id"],
            foreign_keys: vec![
                ForeignKey::new("by", "actors", "id"),
                ForeignKey::new("country", "countries", "code"),
                ForeignKey::new("resulting_project", "projects", "id"),
            ],
            rows,
            path: None,
        }
    }

    fn countries(&self) -> Table {
        let fields = vec![
            Field::string("code", "ISO 3166-1 alpha-3 code.")
                .required()
                .unique()
                .pattern(CODE3_PATTERN),
            Field::string("alpha2", "ISO 3166-1 alpha-2 code.").pattern("^[A-Z]{2}$"),
            Field::string("numeric", "ISO 3166-1 numeric code (also the UN M49 code).").pattern("^[0-9]{3}$"),
            Field::string("name_en", "The name in English."),
            Field::string("name_es", "The name in Spanish."),
            Field::string("name_pt", "The name in Portuguese."),
            Field::string("name_fr", "The name in French."),
            Field::string("region", "The UN M49 region."),
            Field::string("subregion", "The UN M49 sub-region."),
            Field::string(
                "intermediate_region",
                "The UN M49 intermediate region, where there is one.",
            ),
            Field::string("page", "The country's page, relative to the site root.").required(),
        ];
        let rows = self
            .views
            .countries_in_records()
            .map(|code| {
                let c = crate::countries::get(code);
                let s = |f: fn(&crate::countries::Country) -> &'static str| c.map(f).unwrap_or_default().to_owned();
                vec![
                    code.to_owned(),
                    s(|c| c.alpha2),
                    s(|c| c.numeric),
                    s(|c| c.name("en")),
                    s(|c| c.name("es")),
                    s(|c| c.name("pt")),
                    s(|c| c.name("fr")),
                    s(|c| c.region),
                    s(|c| c.subregion),
                    s(|c| c.intermediate),
                    crate::paths::country_page(code),
                ]
            })
            .collect();
        Table {
            name: "countries".into(),
            title: "Countries".into(),
            description: "One row per country named in any record, with its names and UN M49 regions.".into(),
            fields,
            primary_key: vec!["code"],
            foreign_keys: vec![],
            rows,
            path: None,
        }
    }

    fn editions(&self) -> Table {
        let fields = vec![
            Field::integer("year", "The edition's year.").required().unique(),
            Field::string("title", "The title, in the site's default language.").required(),
            Field::date(
                "period_from",
                "The first day (or month, or year) of the period covered.",
            )
            .required(),
            Field::date("period_to", "The last day (or month, or year) of the period covered.").required(),
            Field::string("status", "Draft or published.")
                .required()
                .one_of(self.vocab("report-statuses")),
            Field::date("published", "When it was published."),
            Field::integer(
                "initiatives",
                "Initiatives active during the period (their rows are in edition_projects.csv).",
            )
            .required()
            .min(0),
            Field::integer("countries", "Distinct countries named by those initiatives.")
                .required()
                .min(0),
            Field::integer(
                "with_civil_society",
                "Those initiatives with at least one civil-society participant.",
            )
            .required()
            .min(0),
            Field::string("page", "The edition's page, relative to the site root.").required(),
        ];
        let data = self.views.data;
        let rows = data
            .editions
            .values()
            .map(|e| {
                let h = aggregate::headline(data, e);
                let d = &e.index.data;
                vec![
                    e.year.to_string(),
                    self.text(&d.title),
                    date(&d.period.from),
                    date(&d.period.to),
                    d.status.clone(),
                    opt_date(&d.published),
                    h.projects.len().to_string(),
                    h.countries.to_string(),
                    h.with_civil_society.to_string(),
                    format!("reports/{}/index.html", e.year),
                ]
            })
            .collect();
        Table {
            name: "editions".into(),
            title: "Report editions".into(),
            description: "One row per annual edition of the report, with its headline figures.".into(),
            fields,
            primary_key: vec!["year"],
            foreign_keys: vec![],
            rows,
            path: None,
        }
    }

    fn edition_projects(&self) -> Table {
        let fields = vec![
            Field::integer("edition", "The edition's year (its row in editions.csv).").required(),
            Self::project_field(),
        ];
        let data = self.views.data;
        let mut rows = Vec::new();
        for e in data.editions.values() {
            for p in aggregate::edition_scope(data, e) {
                rows.push(vec![e.year.to_string(), p.id.clone()]);
            }
        }
        Table {
            name: "edition_projects".into(),
            title: "Initiatives counted by each edition".into(),
            description:
                "One row per edition and initiative it counts: the initiatives active during the edition's period."
                    .into(),
            fields,
            primary_key: vec!["edition", "project"],
            foreign_keys: vec![ForeignKey::new("edition", "editions", "year"), Self::project_fk()],
            rows,
            path: None,
        }
    }
}
