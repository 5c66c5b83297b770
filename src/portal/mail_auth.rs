//! Whether a message's From is authentic, as the receiving mail server that Parley is
//! told to trust found it: its `Authentication-Results` header (RFC 8601), identified by
//! its authserv-id (`PARLEY_MAIL_TRUSTED_AUTHSERV_ID`).
//!
//! Only the topmost header carrying a trusted id counts: the receiving server adds its
//! own above everything the sender wrote, and removes any copy of its id that came with
//! the message. A header with any other id (one the sender wrote) is never read.
//!
//! The From is authentic when that header says DMARC passed, or DKIM passed for a
//! domain aligned with the From's domain, or SPF passed for an envelope sender aligned
//! with it (the same domain, or one a subdomain of the other).

/// What the trusted server found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The From is authentic; by which method.
    Pass(&'static str),
    /// A method the From's domain publishes failed (a forgery, or a broken forwarder).
    Fail(&'static str),
    /// Nothing says either way: no trusted header, or no method aligned with the From.
    None,
}

impl Verdict {
    pub fn passed(&self) -> bool {
        matches!(self, Self::Pass(_))
    }

    /// As kept with the message and shown to admins: `pass (dmarc)`, `fail (spf)`,
    /// `none`.
    pub fn label(&self) -> String {
        match self {
            Self::Pass(how) => format!("pass ({how})"),
            Self::Fail(how) => format!("fail ({how})"),
            Self::None => "none".into(),
        }
    }
}

/// One method's result in a header: `dkim=pass header.d=acme.test`.
#[derive(Debug, Default)]
struct MethodResult {
    method: String,
    result: String,
    properties: Vec<(String, String)>,
}

impl MethodResult {
    fn property(&self, name: &str) -> Option<&str> {
        self.properties
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The verdict for a message whose From domain is `from_domain`, given its
/// `Authentication-Results` values top first and the ids of the servers trusted.
pub fn verdict(headers: &[&str], trusted: &[String], from_domain: &str) -> Verdict {
    let from_domain = from_domain.trim().trim_end_matches('.').to_ascii_lowercase();
    if from_domain.is_empty() || trusted.is_empty() {
        return Verdict::None;
    }
    let Some(results) = headers.iter().find_map(|h| {
        let (id, results) = parse(h)?;
        trusted
            .iter()
            .any(|t| t.eq_ignore_ascii_case(&id))
            .then_some(results)
    }) else {
        return Verdict::None;
    };
    // The strongest method that passed is named: DMARC, then DKIM, then SPF.
    let mut passed: Option<&'static str> = None;
    let mut pass_with = |how: &'static str| {
        let rank = |m: Option<&str>| match m {
            Some("dmarc") => 3,
            Some("dkim") => 2,
            Some("spf") => 1,
            _ => 0,
        };
        if rank(Some(how)) > rank(passed) {
            passed = Some(how);
        }
    };
    let mut failed = None;
    for r in &results {
        let ours = |domain: Option<&str>| domain.is_some_and(|d| aligned(d, &from_domain));
        let pass = r.result == "pass";
        match r.method.as_str() {
            "dmarc" => {
                // The header.from a DMARC result names must be the From read here.
                let same = r.property("header.from").is_none_or(|d| aligned(d, &from_domain));
                if pass && same {
                    pass_with("dmarc");
                }
                if r.result == "fail" && same {
                    failed = Some("dmarc");
                }
            }
            "dkim" => {
                let domain = r
                    .property("header.d")
                    .or_else(|| r.property("header.i").map(|i| i.rsplit('@').next().unwrap_or(i)));
                if pass && ours(domain) {
                    pass_with("dkim");
                }
                if r.result == "fail" && ours(domain) {
                    failed.get_or_insert("dkim");
                }
            }
            "spf" => {
                let domain = r
                    .property("smtp.mailfrom")
                    .map(|m| m.rsplit('@').next().unwrap_or(m));
                if pass && ours(domain) {
                    pass_with("spf");
                }
                if r.result == "fail" && ours(domain) {
                    failed.get_or_insert("spf");
                }
            }
            _ => {}
        }
    }
    match (passed, failed) {
        // The domain's own policy said no: a DKIM or SPF pass under it does not count.
        (_, Some("dmarc")) if passed != Some("dmarc") => Verdict::Fail("dmarc"),
        (Some(how), _) => Verdict::Pass(how),
        (None, Some(how)) => Verdict::Fail(how),
        (None, None) => Verdict::None,
    }
}

/// Whether `domain` is `from`, or one is a subdomain of the other (relaxed alignment,
/// without the public suffix list: a bare top-level name never aligns).
fn aligned(domain: &str, from: &str) -> bool {
    let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    if !domain.contains('.') || !from.contains('.') {
        return false;
    }
    domain == from || from.ends_with(&format!(".{domain}")) || domain.ends_with(&format!(".{from}"))
}

/// `authserv-id [version]; method=result prop=value ...; ...` without its comments:
/// the id and each method's result. `None` for a header that does not parse.
fn parse(header: &str) -> Option<(String, Vec<MethodResult>)> {
    let text = without_comments(header);
    let mut parts = text.split(';');
    let id = parts.next()?.split_whitespace().next()?.to_ascii_lowercase();
    let mut results = Vec::new();
    for part in parts {
        let mut words = part.split_whitespace();
        let Some((method, result)) = words.next().and_then(|w| w.split_once('=')) else {
            continue;
        };
        let mut r = MethodResult {
            method: method.split('/').next().unwrap_or(method).to_ascii_lowercase(),
            result: result.to_ascii_lowercase(),
            ..MethodResult::default()
        };
        for w in words {
            if let Some((name, value)) = w.split_once('=') {
                r.properties.push((
                    name.to_ascii_lowercase(),
                    value.trim_matches('"').to_ascii_lowercase(),
                ));
            }
        }
        results.push(r);
    }
    Some((id, results))
}

/// `text` without `( ... )` comments, which may nest.
fn without_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut depth = 0usize;
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' if depth == 0 => {
                quoted = !quoted;
                out.push(c);
            }
            '(' if !quoted => depth += 1,
            ')' if !quoted && depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trusted() -> Vec<String> {
        vec!["mx.vendor.test".into()]
    }

    #[test]
    fn a_trusted_pass_aligned_with_the_from_is_authentic() {
        let dmarc = "mx.vendor.test; spf=pass smtp.mailfrom=bounce@mail.acme.test; dkim=pass (2048-bit key) header.d=acme.test header.s=s1; dmarc=pass (p=reject) header.from=acme.test";
        assert_eq!(verdict(&[dmarc], &trusted(), "acme.test"), Verdict::Pass("dmarc"));
        let dkim = "MX.Vendor.Test 1; dkim=pass header.i=@acme.test";
        assert_eq!(verdict(&[dkim], &trusted(), "acme.test"), Verdict::Pass("dkim"));
        let spf = "mx.vendor.test; spf=pass (sender allowed) smtp.mailfrom=ann@eu.acme.test";
        assert_eq!(verdict(&[spf], &trusted(), "acme.test"), Verdict::Pass("spf"));
    }

    #[test]
    fn fail_none_and_headers_from_anyone_else() {
        let fail =
            "mx.vendor.test; spf=fail smtp.mailfrom=acme.test; dkim=none; dmarc=fail header.from=acme.test";
        assert_eq!(verdict(&[fail], &trusted(), "acme.test"), Verdict::Fail("dmarc"));
        // A pass for another domain is not a pass for the From's.
        let other = "mx.vendor.test; dkim=pass header.d=mailer.test; spf=pass smtp.mailfrom=x@mailer.test";
        assert_eq!(verdict(&[other], &trusted(), "acme.test"), Verdict::None);
        // A header the sender wrote, with an id that is not trusted, is never read...
        let forged = "evil.test; dmarc=pass header.from=acme.test";
        assert_eq!(verdict(&[forged], &trusted(), "acme.test"), Verdict::None);
        // ...and only the topmost trusted one counts.
        let real = "mx.vendor.test; dmarc=fail header.from=acme.test";
        let below = "mx.vendor.test; dmarc=pass header.from=acme.test";
        assert_eq!(
            verdict(&[forged, real, below], &trusted(), "acme.test"),
            Verdict::Fail("dmarc")
        );
        // Nothing trusted, no From domain, or a bare top-level name: no verdict.
        assert_eq!(verdict(&[below], &[], "acme.test"), Verdict::None);
        assert_eq!(verdict(&[below], &trusted(), ""), Verdict::None);
        let tld = "mx.vendor.test; dkim=pass header.d=test";
        assert_eq!(verdict(&[tld], &trusted(), "acme.test"), Verdict::None);
        assert_eq!(
            verdict(&["mx.vendor.test; none"], &trusted(), "acme.test"),
            Verdict::None
        );
        assert_eq!(verdict(&[""], &trusted(), "acme.test"), Verdict::None);
    }

    #[test]
    fn comments_and_quotes_are_read_as_the_rfc_says() {
        let h = "mx.vendor.test (Postfix (nested)); dkim=pass (good \"signature\") header.d=\"acme.test\"";
        assert_eq!(verdict(&[h], &trusted(), "acme.test"), Verdict::Pass("dkim"));
        assert_eq!(Verdict::Pass("dkim").label(), "pass (dkim)");
        assert_eq!(Verdict::None.label(), "none");
    }
}
