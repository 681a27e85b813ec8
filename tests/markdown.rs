//! Markdown rendering: extensions, ids shared on a page, footnotes, and sanitization of
//! hostile input.

use openssc::markdown::{Heading, IdSet, RenderOptions, render, render_with};

/// Every `id="..."` of the HTML, in order.
fn ids_of(html: &str) -> Vec<String> {
    attribute_values(html, " id=\"")
}

/// Every `href="#..."` target of the HTML, in order.
fn fragment_links(html: &str) -> Vec<String> {
    attribute_values(html, " href=\"#")
}

fn attribute_values(html: &str, prefix: &str) -> Vec<String> {
    html.match_indices(prefix)
        .map(|(i, _)| {
            let rest = &html[i + prefix.len()..];
            rest[..rest.find('"').unwrap()].to_string()
        })
        .collect()
}

fn assert_unique(ids: &[String]) {
    let mut sorted = ids.to_vec();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), ids.len(), "duplicate ids in {ids:?}");
}

#[test]
fn tables_render_with_header_cells_and_alignment_classes() {
    let md = "| Country | Amount |\n|:--|--:|\n| Brazil | 12 |\n| Kenya | 7 |\n";
    let out = render(md, &mut IdSet::new());
    assert!(out.html.contains("<table>"), "{}", out.html);
    assert!(
        out.html
            .contains("<thead><tr><th scope=\"col\" class=\"align-left\">Country</th>"),
        "{}",
        out.html
    );
    assert!(
        out.html.contains("<th scope=\"col\" class=\"align-right\">Amount</th>"),
        "{}",
        out.html
    );
    assert!(
        out.html
            .contains("<td class=\"align-left\">Brazil</td><td class=\"align-right\">12</td>"),
        "{}",
        out.html
    );
    assert!(out.html.contains("</tbody></table>"), "{}", out.html);
    assert!(!out.html.contains("style="), "{}", out.html);
}

#[test]
fn strikethrough_becomes_del() {
    let out = render("This is ~~wrong~~ right.", &mut IdSet::new());
    assert_eq!(out.html, "<p>This is <del>wrong</del> right.</p>\n");
}

#[test]
fn headings_get_slug_ids_and_shift_one_level_down() {
    let out = render(
        "# Overview\n\n## Funding & Partners\n\n### Coopération Sud\n",
        &mut IdSet::new(),
    );
    assert!(out.html.contains("<h2 id=\"overview\">Overview</h2>"), "{}", out.html);
    assert!(
        out.html
            .contains("<h3 id=\"funding-partners\">Funding &amp; Partners</h3>"),
        "{}",
        out.html
    );
    assert!(
        out.html.contains("<h4 id=\"cooperation-sud\">Coopération Sud</h4>"),
        "{}",
        out.html
    );
    assert!(!out.html.contains("<h1"));
    assert_eq!(
        out.headings,
        vec![
            Heading {
                level: 2,
                id: "overview".into(),
                text: "Overview".into()
            },
            Heading {
                level: 3,
                id: "funding-partners".into(),
                text: "Funding & Partners".into()
            },
            Heading {
                level: 4,
                id: "cooperation-sud".into(),
                text: "Coopération Sud".into()
            },
        ]
    );
}

#[test]
fn deep_headings_are_capped_at_h6() {
    let out = render("##### Five\n\n###### Six\n", &mut IdSet::new());
    assert!(out.html.contains("<h6 id=\"five\">Five</h6>"), "{}", out.html);
    assert!(out.html.contains("<h6 id=\"six\">Six</h6>"), "{}", out.html);
    assert_eq!(out.headings.iter().map(|h| h.level).collect::<Vec<_>>(), [6, 6]);
}

#[test]
fn top_level_is_a_parameter() {
    let options = RenderOptions {
        top_level: 3,
        ..RenderOptions::default()
    };
    let out = render_with("# A\n\n## B\n", &mut IdSet::new(), &options);
    assert!(out.html.contains("<h3 id=\"a\">A</h3>"), "{}", out.html);
    assert!(out.html.contains("<h4 id=\"b\">B</h4>"), "{}", out.html);
}

#[test]
fn duplicate_headings_across_two_bodies_on_one_page_get_suffixes() {
    let mut ids = IdSet::with_reserved(&["main", "content"]);
    let first = render("# Results\n\n## Results\n\n# Content\n", &mut ids);
    let second = render("# Results\n", &mut ids);
    assert_eq!(
        first.headings.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(),
        ["results", "results-2", "content-2"]
    );
    assert_eq!(second.headings[0].id, "results-3");
    assert!(second.html.contains("<h2 id=\"results-3\">Results</h2>"));
    let mut all = ids_of(&first.html);
    all.extend(ids_of(&second.html));
    assert_unique(&all);
}

#[test]
fn explicit_heading_ids_are_kept_and_deduplicated() {
    let mut ids = IdSet::new();
    let out = render(
        "# Intro {#start}\n\n# Other {#start}\n\n# Styled {.big data-x=1}\n",
        &mut ids,
    );
    assert!(out.html.contains("<h2 id=\"start\">Intro</h2>"), "{}", out.html);
    assert!(out.html.contains("<h2 id=\"start-2\">Other</h2>"), "{}", out.html);
    // Classes and other attributes of `{...}` are ignored.
    assert!(out.html.contains("<h2 id=\"styled\">Styled</h2>"), "{}", out.html);
    assert_eq!(out.headings[0].text, "Intro");
}

#[test]
fn headings_without_a_latin_slug_fall_back_to_section() {
    let out = render("# 南南合作\n\n# ...\n", &mut IdSet::new());
    assert_eq!(
        out.headings.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(),
        ["section", "section-2"]
    );
}

#[test]
fn footnotes_are_numbered_linked_both_ways_and_accessible() {
    let md =
        "Aid rose[^b] and trade fell[^a], again[^b].\n\n[^a]: Trade note.\n[^b]: Aid note.\n[^unused]: Never cited.\n";
    let out = render(md, &mut IdSet::new());
    let html = &out.html;
    // Numbered by first reference.
    assert!(
        html.contains("<sup class=\"footnote-ref\"><a href=\"#fn-b\" id=\"fnref-b\">1</a></sup>"),
        "{html}"
    );
    assert!(
        html.contains("<sup class=\"footnote-ref\"><a href=\"#fn-a\" id=\"fnref-a\">2</a></sup>"),
        "{html}"
    );
    assert!(html.contains("<a href=\"#fn-b\" id=\"fnref-b-2\">1</a>"), "{html}");
    assert!(
        html.contains("<section class=\"footnotes\" aria-label=\"Notes\">\n<ol>\n<li id=\"fn-b\">"),
        "{html}"
    );
    assert!(html.find("id=\"fn-b\"").unwrap() < html.find("id=\"fn-a\"").unwrap());
    assert!(
        html.contains("<a href=\"#fnref-b\" class=\"footnote-backref\" aria-label=\"Back to reference 1\">"),
        "{html}"
    );
    assert!(html.contains("aria-label=\"Back to reference 1-2\""), "{html}");
    assert!(!html.contains("Never cited"), "{html}");
    // Every fragment link resolves to an id of the same output, and ids are unique.
    let ids = ids_of(html);
    assert_unique(&ids);
    for target in fragment_links(html) {
        assert!(ids.contains(&target), "#{target} has no target in {html}");
    }
}

#[test]
fn footnote_ids_go_through_the_page_id_set() {
    let mut ids = IdSet::with_reserved(&["fn-1"]);
    let first = render("One[^1].\n\n[^1]: First.\n", &mut ids);
    let second = render("Two[^1].\n\n[^1]: Second.\n", &mut ids);
    let mut all = ids_of(&first.html);
    all.extend(ids_of(&second.html));
    assert_unique(&all);
    assert!(!all.contains(&"fn-1".to_string()));
    for (out, name) in [(&first, "first"), (&second, "second")] {
        let ids = ids_of(&out.html);
        for target in fragment_links(&out.html) {
            assert!(ids.contains(&target), "{name}: #{target} has no target in {}", out.html);
        }
    }
}

#[test]
fn footnotes_inside_links_headings_and_other_notes_still_resolve() {
    let md = "# Title[^h]\n\nSee [the report[^r]](report.md).\n\n[^h]: On the title, see[^n].\n[^r]: On the link.\n[^n]: Nested.\n";
    let out = render(md, &mut IdSet::new());
    let html = &out.html;
    assert!(
        !html.contains("<a href=\"report.md\">the report<sup"),
        "no link inside a link: {html}"
    );
    assert_eq!(out.headings[0].text, "Title");
    let ids = ids_of(html);
    assert_unique(&ids);
    for target in fragment_links(html) {
        assert!(ids.contains(&target), "#{target} has no target in {html}");
    }
    assert_eq!(html.matches("<li id=").count(), 3, "{html}");
}

#[test]
fn notes_labels_can_be_translated() {
    let options = RenderOptions {
        notes_label: "Notas",
        back_label: "Volver a la referencia",
        ..RenderOptions::default()
    };
    let out = render_with("Uno[^1].\n\n[^1]: Nota.\n", &mut IdSet::new(), &options);
    assert!(out.html.contains("aria-label=\"Notas\""), "{}", out.html);
    assert!(
        out.html.contains("aria-label=\"Volver a la referencia 1\""),
        "{}",
        out.html
    );
}

const HOSTILE: &str = r#"# Safe heading

Harmless paragraph one.

<script>alert(1)</script>

Harmless text two <img src=x onerror=alert(1)> after image.

[harmless link text](javascript:alert(1))

<a href="JaVaScRiPt:alert(1)">harmless anchor</a>

<iframe src="https://evil.example/frame"></iframe>

<div style="background:url(javascript:alert(1))">harmless div text</div>

<svg onload=alert(1)><circle r="1"/></svg>

<object data="https://evil.example/x.swf"></object>

<form action="https://evil.example/steal"><input name="pw"><button>harmless button</button></form>

<a href="data:text/html,<script>alert(1)</script>">harmless data link</a>

<a href="vbscript:msgbox(1)">harmless vb link</a>

<p onclick="alert(1)" id="main" class="x">harmless clicked paragraph</p>

<a href="&#106;avascript:alert(1)">harmless entity link</a>

<embed src="https://evil.example/e"><style>body{display:none}</style>

<img src="data:image/png;base64,AAAA" alt="harmless alt">
"#;

#[test]
fn hostile_markup_is_neutralized_and_text_survives() {
    let out = render(HOSTILE, &mut IdSet::with_reserved(&["main"]));
    let lower = out.html.to_lowercase();
    for bad in [
        "<script",
        "onerror",
        "onload",
        "onclick",
        "javascript:",
        "vbscript:",
        "<iframe",
        "style=",
        "<style",
        "<object",
        "<embed",
        "<form",
        "<input",
        "<svg",
        "data:",
        "id=\"main\"",
    ] {
        assert!(!lower.contains(bad), "`{bad}` survived in:\n{}", out.html);
    }
    for good in [
        "Safe heading",
        "Harmless paragraph one.",
        "Harmless text two",
        "after image.",
        "harmless link text",
        "harmless anchor",
        "harmless div text",
        "harmless button",
        "harmless data link",
        "harmless clicked paragraph",
        "harmless entity link",
        "harmless alt",
    ] {
        assert!(out.html.contains(good), "`{good}` was lost in:\n{}", out.html);
    }
    assert_eq!(ids_of(&out.html), ["safe-heading"]);
}

#[test]
fn author_ids_and_forged_markers_cannot_collide_with_generated_ids() {
    let md = "<span id=\"intro\" data-openssc-id=\"intro\">a</span>\n\n# Intro\n\n\
              <p data-openssc-id1=\"intro\">b</p>\n";
    let out = render(md, &mut IdSet::new());
    assert_eq!(ids_of(&out.html), ["intro"], "{}", out.html);
    assert!(out.html.contains("<h2 id=\"intro\">Intro</h2>"), "{}", out.html);
    assert!(!out.html.contains("data-openssc"), "{}", out.html);
}

#[test]
fn allowed_markup_is_kept() {
    let md = "<abbr title=\"South-South Cooperation\">SSC</abbr> H<sub>2</sub>O x<sup>2</sup>\n\n\
              <details><summary>More</summary>\n\nHidden *text*.\n\n</details>\n\n\
              <figure><img src=\"chart.png\" alt=\"A chart\" width=\"640\" height=\"50%\"><figcaption>Chart</figcaption></figure>\n\n\
              <p lang=\"pt-BR\" dir=\"ltr\">Olá</p>\n";
    let out = render(md, &mut IdSet::new());
    let html = &out.html;
    assert!(
        html.contains("<abbr title=\"South-South Cooperation\">SSC</abbr>"),
        "{html}"
    );
    assert!(html.contains("<sub>2</sub>") && html.contains("<sup>2</sup>"), "{html}");
    assert!(html.contains("<details><summary>More</summary>"), "{html}");
    assert!(html.contains("<em>text</em>"), "{html}");
    assert!(
        html.contains("<img src=\"chart.png\" alt=\"A chart\" width=\"640\">"),
        "{html}"
    );
    assert!(html.contains("<figcaption>Chart</figcaption>"), "{html}");
    assert!(html.contains("<p lang=\"pt-BR\" dir=\"ltr\">Olá</p>"), "{html}");
}

#[test]
fn links_stay_as_written_and_external_ones_get_rel() {
    let md =
        "[a](../projects/p1.md) [b](#top) [c](https://example.org/x?y=1&z=2) [d](mailto:a@b.org) [e](//cdn.example/x)";
    let out = render(md, &mut IdSet::new());
    let html = &out.html;
    assert!(html.contains("<a href=\"../projects/p1.md\">a</a>"), "{html}");
    assert!(html.contains("<a href=\"#top\">b</a>"), "{html}");
    assert!(
        html.contains("<a href=\"https://example.org/x?y=1&amp;z=2\" rel=\"noopener noreferrer\">c</a>"),
        "{html}"
    );
    assert!(html.contains("<a href=\"mailto:a@b.org\">d</a>"), "{html}");
    assert!(
        html.contains("<a href=\"//cdn.example/x\" rel=\"noopener noreferrer\">e</a>"),
        "{html}"
    );
    assert!(!html.contains("target="), "{html}");
}

#[test]
fn unclosed_raw_text_elements_cannot_swallow_the_notes() {
    // An inline `<textarea>` (a block one would take the rest of the source, notes included,
    // as raw HTML already in Markdown) makes the HTML parser read the rest of the body as
    // its text: the heading and the reference after it are gone, the notes are not.
    let md = "Cited[^1].\n\n# Kept\n\nOpen <textarea> here.\n\n# Swallowed\n\nMore[^2].\n\n[^1]: One.\n[^2]: Two.\n";
    let out = render(md, &mut IdSet::new());
    let html = &out.html;
    assert!(html.contains("<section class=\"footnotes\""), "{html}");
    assert_eq!(out.headings.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(), ["kept"]);
    assert!(!html.contains("Swallowed"), "{html}");
    assert!(html.contains("<li id=\"fn-2\">"), "{html}");
    let ids = ids_of(html);
    assert_unique(&ids);
    for target in fragment_links(html) {
        assert!(ids.contains(&target), "#{target} has no target in {html}");
    }
}

#[test]
fn output_is_deterministic() {
    let md = format!("{HOSTILE}\n\nText[^x] and [^y].\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n[^x]: X.\n[^y]: Y.\n");
    let a = render(&md, &mut IdSet::new());
    for _ in 0..5 {
        assert_eq!(render(&md, &mut IdSet::new()), a);
    }
}

/// Random documents made of Markdown and raw HTML pieces, two per page on one `IdSet`:
/// ids stay unique, every footnote link and back-link resolves, every listed heading
/// exists, and nothing hostile or internal leaks.
#[test]
fn random_documents_keep_ids_unique_and_note_links_resolving() {
    const PIECES: &[&str] = &[
        "# Heading A\n\n",
        "## Heading A {#fn-1}\n\n",
        "### Heading B {#x}\n\n",
        "Text[^1] more[^2].\n\n",
        "Again[^1] and [^Two].\n\n",
        "[^1]: Note one[^2].\n\n",
        "[^2]: Note two.\n\n",
        "[^3]: Unused.\n\n",
        "<span id=\"fn-1\">x</span>",
        "<textarea>",
        "<b>",
        "</b>",
        "<table>",
        "<a href=\"https://e.org\">",
        "</a>",
        "[link](x.md)[^2]",
        "| a | b |\n|---|:-:|\n| c[^1] | d |\n\n",
        "<!--",
        "-->",
        "<h2 data-openssc-id=\"fn-1\">",
        "<p data-openssc-id1=\"fnref-1\">",
        "\n\n",
        "> quote[^2]\n\n",
        "- item[^1]\n",
        "<script>alert(1)</script>",
        "<img src=javascript:alert(1) onerror=alert(1)>",
        "<details><summary>s</summary>",
        "</details>",
        "plain words ",
    ];
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..400 {
        let mut ids = IdSet::with_reserved(&["main"]);
        let mut page = Vec::new();
        for _ in 0..2 {
            let n = 1 + next() % 16;
            let md: String = (0..n)
                .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
                .collect();
            let out = render(&md, &mut ids);
            let html = &out.html;
            let lower = html.to_lowercase();
            for bad in ["<script", "onerror", "javascript:", "data-openssc", "<textarea", "<!--"] {
                assert!(!lower.contains(bad), "`{bad}` in output of {md:?}:\n{html}");
            }
            let body_ids = ids_of(html);
            for heading in &out.headings {
                assert!(
                    body_ids.contains(&heading.id),
                    "heading {heading:?} missing for {md:?}:\n{html}"
                );
            }
            let note_links: Vec<String> = html
                .match_indices("<sup class=\"footnote-ref\"><a href=\"#")
                .chain(html.match_indices("<a href=\"#fnref-"))
                .map(|(i, _)| {
                    let rest = &html[i..];
                    let start = rest.find("href=\"#").unwrap() + 7;
                    rest[start..start + rest[start..].find('"').unwrap()].to_string()
                })
                .collect();
            for target in note_links {
                assert!(body_ids.contains(&target), "#{target} unresolved for {md:?}:\n{html}");
            }
            page.extend(body_ids);
        }
        assert_unique(&page);
    }
}
