//! A client that behaves as a browser: cookies, forms with their CSRF token, files.

use super::*;

/// A cookie-keeping client that fills in CSRF tokens as a browser's forms would.
/// A chosen file of a form: its name and bytes.
pub type FilePart<'a> = (&'a str, &'a [u8]);

pub struct Browser {
    pub base: String,
    pub client: reqwest::Client,
    pub(super) csrf: Option<String>,
}

impl Browser {
    pub async fn get(&mut self, path: &str) -> Response {
        self.client
            .get(format!("{}{}", self.base, path))
            .send()
            .await
            .unwrap()
    }

    /// The body of a page, remembering its CSRF token.
    pub async fn page(&mut self, path: &str) -> (StatusCode, String) {
        let res = self.get(path).await;
        let status = res.status();
        let body = res.text().await.unwrap();
        if let Some(t) = csrf_in(&body) {
            self.csrf = Some(t);
        }
        (status, body)
    }

    /// Posts a form with the CSRF token of a page seen earlier (fetching /login first
    /// when no page was seen yet).
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Response {
        if self.csrf.is_none() {
            self.page("/login").await;
        }
        let token = self.csrf.clone().expect("a CSRF token");
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("csrf_token", &token));
        self.post_raw(path, &form).await
    }

    /// Posts a form exactly as given (no CSRF token added).
    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Response {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        self.client
            .post(format!("{}{}", self.base, path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap()
    }

    /// Posts a multipart form the way a browser sends one: the CSRF token as the first
    /// part (where the page's forms put it), the text fields, then each file input, and a
    /// file input with no file chosen as a part with an empty file name and no bytes.
    pub async fn post_multipart(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, Option<FilePart<'_>>)],
    ) -> Response {
        if self.csrf.is_none() {
            self.page("/login").await;
        }
        let token = self.csrf.clone().expect("a CSRF token");
        let mut form = reqwest::multipart::Form::new().text("csrf_token", token);
        for (name, value) in fields {
            form = form.text(name.to_string(), value.to_string());
        }
        for (name, file) in files {
            let part = match file {
                Some((filename, bytes)) => {
                    reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(filename.to_string())
                }
                None => reqwest::multipart::Part::bytes(Vec::new())
                    .file_name("")
                    .mime_str("application/octet-stream")
                    .unwrap(),
            };
            form = form.part(name.to_string(), part);
        }
        self.client
            .post(format!("{}{}", self.base, path))
            .multipart(form)
            .send()
            .await
            .unwrap()
    }

    pub async fn login(&mut self, email: &str, password: &str) {
        let res = self
            .post("/login", &[("email", email), ("password", password)])
            .await;
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "login of {email}: {}",
            res.text().await.unwrap()
        );
        // The session is new; pages seen from now on carry the token to use.
        self.page("/account").await;
    }
}

/// The CSRF token in a page's forms.
pub fn csrf_in(html: &str) -> Option<String> {
    let marker = "name=\"csrf_token\" value=\"";
    let at = html.find(marker)? + marker.len();
    Some(html[at..].chars().take_while(|c| *c != '"').collect())
}

/// Location header of a redirect.
pub fn location(res: &Response) -> String {
    res.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

/// Decodes quoted-printable soft breaks and escapes.
pub fn decode_qp(s: &str) -> String {
    let s = s.replace("=\r\n", "").replace("=\n", "");
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
