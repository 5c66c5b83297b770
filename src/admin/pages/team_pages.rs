//! The team lists page.

use super::*;

#[derive(Serialize)]
pub(super) struct TeamsPage {
    pub(super) teams: Vec<crate::admin::teams::TeamResource>,
    /// The team whose form came back with errors, and what was typed in it.
    pub(super) failed: Option<String>,
    pub(super) form: TeamForm,
    pub(super) errors: FieldErrors,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub(super) struct TeamForm {
    /// Addresses, one per line or separated by commas.
    #[serde(default)]
    pub(super) members: String,
    #[serde(default)]
    pub(super) list_address: String,
}

pub(super) async fn teams(
    state: web::Data<AppState>,
    ctx: PageCtx,
    me: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let teams = crate::admin::teams::list_teams(&state.db, &me).await?;
    ctx.render(
        "admin/teams.html",
        &TeamsPage {
            teams,
            failed: None,
            form: TeamForm::default(),
            errors: FieldErrors::new(),
        },
    )
}

pub(super) async fn update_team(
    state: web::Data<AppState>,
    ctx: PageCtx,
    me: CurrentUser,
    slug: web::Path<String>,
    form: web::Form<TeamForm>,
) -> Result<HttpResponse, AppError> {
    let (slug, form) = (slug.into_inner(), form.into_inner());
    let change = crate::admin::teams::TeamChange {
        members: Some(
            form.members
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|a| !a.is_empty())
                .map(str::to_string)
                .collect(),
        ),
        list_address: Some(form.list_address.clone()),
    };
    match crate::admin::teams::update_team(&state.db, &me, slug.clone(), change).await {
        Ok(_) => Ok(see_other("/admin/teams?notice=saved")),
        Err(AppError::Invalid { fields, .. }) => {
            let teams = crate::admin::teams::list_teams(&state.db, &me).await?;
            ctx.render_status(
                crate::web::page::form_status(&fields),
                "admin/teams.html",
                &TeamsPage {
                    teams,
                    failed: Some(slug),
                    form,
                    errors: fields,
                },
            )
        }
        Err(e) => Err(e),
    }
}
