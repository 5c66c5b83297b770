//! Email addresses and the domains Parley refuses at signup: free webmail and
//! disposable-mail providers (lists shipped in the binary, see `lists/README.md`), and
//! whatever an admin adds.

use validator::ValidateEmail;

static FREE_WEBMAIL: &str = include_str!("lists/free-webmail.txt");
static DISPOSABLE: &str = include_str!("lists/disposable.txt");

/// Why a domain is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    FreeWebmail,
    Disposable,
    /// Added by an admin.
    Blocked,
}

/// One sorted list, searched in place (no copy of the 2 MB of text).
struct SortedList(Vec<&'static str>);

impl SortedList {
    fn new(text: &'static str) -> Self {
        let mut v: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
        // The files are sorted; sorting again costs little and protects a hand edit.
        v.sort_unstable();
        Self(v)
    }

    fn contains(&self, domain: &str) -> bool {
        self.0.binary_search(&domain).is_ok()
    }
}

/// The shipped lists, loaded once at start.
pub struct DomainLists {
    webmail: SortedList,
    disposable: SortedList,
}

impl std::fmt::Debug for DomainLists {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DomainLists")
            .field("webmail", &self.webmail.0.len())
            .field("disposable", &self.disposable.0.len())
            .finish()
    }
}

impl DomainLists {
    pub fn load() -> Self {
        Self {
            webmail: SortedList::new(FREE_WEBMAIL),
            disposable: SortedList::new(DISPOSABLE),
        }
    }

    /// Number of domains in each shipped list (webmail, disposable).
    pub fn sizes(&self) -> (usize, usize) {
        (self.webmail.0.len(), self.disposable.0.len())
    }

    /// Whether the domain, or a domain it is under, is on a shipped list.
    pub fn refusal(&self, domain: &str) -> Option<Refusal> {
        for candidate in suffixes(domain) {
            if self.disposable.contains(candidate) {
                return Some(Refusal::Disposable);
            }
            if self.webmail.contains(candidate) {
                return Some(Refusal::FreeWebmail);
            }
        }
        None
    }
}

/// `mail.eu.example.com`, `eu.example.com`, `example.com` (never the bare top level).
pub fn suffixes(domain: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(domain);
    std::iter::from_fn(move || {
        let current = rest?;
        rest = current
            .split_once('.')
            .map(|(_, r)| r)
            .filter(|r| r.contains('.'));
        Some(current)
    })
}

/// A checked, normalized email address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub address: String,
    pub domain: String,
}

/// Trims and lower-cases an address and checks its form.
pub fn parse_email(raw: &str) -> Result<Email, String> {
    let address = raw.trim().to_lowercase();
    if address.is_empty() {
        return Err("Enter your email address.".into());
    }
    if address.len() > 254 || !address.validate_email() {
        return Err(format!("'{}' is not an email address.", raw.trim()));
    }
    let domain = address
        .rsplit_once('@')
        .map(|(_, d)| d.to_string())
        .filter(|d| d.contains('.') && !d.starts_with('[') && !d.ends_with('.'))
        .ok_or_else(|| {
            format!(
                "'{}' needs a full domain after the @, like name@company.com.",
                raw.trim()
            )
        })?;
    Ok(Email { address, domain })
}

/// Normalizes a domain typed by an admin: lower case, no leading `@` or trailing dot.
pub fn parse_domain(raw: &str) -> Result<String, String> {
    let d = raw
        .trim()
        .trim_start_matches('@')
        .trim_end_matches('.')
        .to_lowercase();
    let valid_label = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    if d.len() > 253 || !d.contains('.') || !d.split('.').all(valid_label) {
        return Err(format!("'{}' is not a domain like example.com.", raw.trim()));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_lists_refuse_webmail_and_disposable() {
        let lists = DomainLists::load();
        let (webmail, disposable) = lists.sizes();
        assert!(webmail > 10_000 && disposable > 100_000, "{webmail} {disposable}");
        for d in [
            "gmail.com",
            "outlook.com",
            "yahoo.co.uk",
            "hotmail.com",
            "proton.me",
        ] {
            assert_eq!(lists.refusal(d), Some(Refusal::FreeWebmail), "{d}");
        }
        for d in [
            "mailinator.com",
            "sub.mailinator.com",
            "10minutemail.com",
            "guerrillamail.com",
        ] {
            assert_eq!(lists.refusal(d), Some(Refusal::Disposable), "{d}");
        }
        for d in ["acme.com", "example.org", "mail.company.co.uk"] {
            assert_eq!(lists.refusal(d), None, "{d}");
        }
    }

    #[test]
    fn suffixes_stop_before_the_top_level() {
        let v: Vec<_> = suffixes("a.b.example.com").collect();
        assert_eq!(v, ["a.b.example.com", "b.example.com", "example.com"]);
        let v: Vec<_> = suffixes("example.com").collect();
        assert_eq!(v, ["example.com"]);
    }

    #[test]
    fn emails() {
        assert_eq!(
            parse_email("  Ann@ACME.com ").map(|e| (e.address, e.domain)),
            Ok(("ann@acme.com".into(), "acme.com".into()))
        );
        for bad in ["", "ann", "ann@", "@acme.com", "ann@localhost", "a b@acme.com"] {
            assert!(parse_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn domains() {
        assert_eq!(parse_domain("@Acme.COM."), Ok("acme.com".into()));
        for bad in ["acme", "-acme.com", "ac me.com", "", "acme..com"] {
            assert!(parse_domain(bad).is_err(), "{bad}");
        }
    }
}
