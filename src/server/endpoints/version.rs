//! `GET <prefix>/version`: the service's name and version, the language
//! runtime and binding when set, and hams' version.

use super::health::options;
use crate::json;
use crate::server::exchange::{Exchange, Outcome};
use crate::server::http;
use crate::server::site::Site;

pub(super) fn get(site: &Site, x: &mut Exchange) -> Outcome {
    // The query is read as for the checks: a bad one is a 400 here too.
    if options(x).is_some() {
        x.head.content_type = http::JSON;
        let id = &site.identity;
        id.runtime.with(|rt| match rt {
            Some(rt) => json::render_version(&id.name, &id.version, &rt.fields(), x.body),
            None => json::render_version(&id.name, &id.version, &[], x.body),
        });
    }
    Outcome::Respond
}
