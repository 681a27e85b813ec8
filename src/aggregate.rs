//! Aggregation: what the report counts, computed from the records.
//!
//! Invariant: no I/O and no formatting here: plain numbers from the [`Dataset`], so
//! every figure can be traced to the records it counts.

use std::collections::BTreeMap;

use crate::model::{Dataset, Edition, Period, Project, Record};

/// Does the project overlap the period? A partial start means its first day, a partial
/// end its last day, and no end means ongoing.
pub fn overlaps(project: &Project, period: &Period) -> bool {
    let starts_in_time = project.start.first_day() <= period.to.last_day();
    let not_ended_before = project.end.is_none_or(|end| end.last_day() >= period.from.first_day());
    starts_in_time && not_ended_before
}

/// The projects an edition counts, in id order.
pub fn edition_scope<'a>(dataset: &'a Dataset, edition: &Edition) -> Vec<&'a Record<Project>> {
    dataset
        .projects
        .values()
        .filter(|p| overlaps(&p.data, &edition.index.data.period))
        .collect()
}

/// Does any participant of the project belong to an actor type that counts as civil society?
pub fn has_civil_society(dataset: &Dataset, project: &Project) -> bool {
    project.participants.iter().any(|participant| {
        dataset
            .actor(&participant.actor)
            .is_some_and(|actor| dataset.vocabularies.is_civil_society(&actor.data.kind))
    })
}

/// The headline figures of an edition, for its cover and the home page.
#[derive(Clone, Debug, PartialEq)]
pub struct Headline {
    /// Ids of the projects in scope.
    pub projects: Vec<String>,
    /// Count of projects per modality, in vocabulary order of appearance (sorted by key).
    pub by_modality: BTreeMap<String, usize>,
    /// Distinct countries named in any country list of the projects in scope.
    pub countries: usize,
    /// Projects with at least one civil-society participant.
    pub with_civil_society: usize,
}

/// Computes the headline figures of `edition`.
pub fn headline(dataset: &Dataset, edition: &Edition) -> Headline {
    let scope = edition_scope(dataset, edition);
    let mut by_modality = BTreeMap::new();
    let mut countries = std::collections::BTreeSet::new();
    let mut with_civil_society = 0;
    for project in &scope {
        *by_modality.entry(project.data.modality.clone()).or_insert(0) += 1;
        for (_, list) in project.data.countries.lists() {
            countries.extend(list.iter().cloned());
        }
        if has_civil_society(dataset, &project.data) {
            with_civil_society += 1;
        }
    }
    Headline {
        projects: scope.iter().map(|p| p.id.clone()).collect(),
        by_modality,
        countries: countries.len(),
        with_civil_society,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PartialDate;

    fn period(from: &str, to: &str) -> Period {
        Period {
            from: PartialDate::parse(from).unwrap(),
            to: PartialDate::parse(to).unwrap(),
        }
    }

    fn project(start: &str, end: Option<&str>) -> Project {
        let mut value = serde_json::json!({
            "title": "t", "summary": "s", "instrument": "project", "modality": "bilateral",
            "status": "completed", "start": start, "sectors": ["health"]
        });
        if let Some(end) = end {
            value["end"] = end.into();
        }
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn scope_uses_first_and_last_days_of_partial_dates() {
        let year = period("2011-01-01", "2011-12-31");
        assert!(overlaps(&project("2007", Some("2011")), &year));
        assert!(overlaps(&project("2011-12", None), &year));
        assert!(!overlaps(&project("1993", Some("1995")), &year));
        assert!(!overlaps(&project("2012-01-01", None), &year));
        assert!(overlaps(&project("2005", None), &year), "no end means ongoing");
        assert!(!overlaps(&project("2009", Some("2010-12")), &year));
    }
}
