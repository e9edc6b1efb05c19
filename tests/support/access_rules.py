"""Who may use each route of the app: the declared table the access matrix test checks.

Every (endpoint, method) pair in ``app.url_map`` needs an entry in ``RULES``; a new route
without one fails ``tests/web/test_access_matrix.py`` with its name. Each entry says which kind of
actor may use the route and how to build a request for it from the test world (two users, two
companies with their members, a claim, a review, an export link, a share, an invitation, …).

The refusals the app uses (and that the matrix expects unless an entry says otherwise):
  * anonymous visitor on a page that needs an account  -> redirect to /login ("login")
  * signed in but unverified, where verification is needed -> redirect to /verify ("verify")
  * another user's object (claim, export link, …)       -> 404 (its existence is not confirmed)
  * a provider page for someone in no company          -> 404
  * a member whose role does not allow the action      -> 403
  * another company's object (branch, voucher, member, invitation, review) -> 404
  * the admin area (/admin/) for anyone but a platform admin (anonymous included) -> 404
  * a webhook request without Twilio's signature      -> 403
  * the inbound-email webhook without its shared secret -> 401 (basic auth challenge)
Documented exceptions are in each entry's ``refusals`` with the reason in ``note``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# The kinds of actor the matrix signs in as.
ACTORS = (
    "anonymous",
    "unverified",  # signed in, phone and email not verified
    "user",  # verified; owns the claim, review, export link, picture and share of the world
    "other_user",  # verified; owns nothing of the above; the invitee of company A's invitation
    "staff",  # staff of company A (at its first branch)
    "admin",  # admin of company A
    "owner",  # owner of company A
    "other_admin",  # admin of company B
    "platform_admin",  # moderates reviews; belongs to no company
)
SIGNED_IN = ACTORS[1:]
MEMBERS_OF_A = ("staff", "admin", "owner")

# Who may use a route.
PUBLIC = "public"  # everybody, anonymous included
SIGNED_IN_ONLY = "signed in"  # any signed-in user (acts on their own account)
VERIFIED = "verified"  # a signed-in user with phone and email verified
OWNER = "owner of the object"  # the user the object (claim, export link) belongs to
CUSTOMER = "customer of the voucher"  # the user who redeemed the voucher (may review it)
PROVIDER = "provider member"  # a member of a company whose role is in ``roles``
PLATFORM_ADMIN = "platform admin"
WEBHOOK = "webhook signed by Twilio"
SHARED_SECRET = "webhook with the shared secret"  # the mail provider's inbound route
INVITEE = "invitee"  # the person whose address the invitation was sent to
DEV_ONLY = "development only"  # 404 for everybody outside development

PROVIDER_MANAGERS = ("owner", "admin")
ALL_ROLES = ("owner", "admin", "staff")

# Outcomes (see ``tests/support/access_world.py::outcome``).
OK = "ok"  # 2xx, 3xx to somewhere other than /login or /verify, or 422 (the form re-rendered)
LOGIN = "login"
VERIFY = "verify"
REDIRECT = "redirect"  # 3xx somewhere not allowed by the entry's ``ok_location`` (a refusal)


@dataclass(frozen=True)
class Rule:
    """Who may use one (endpoint, method) and how the matrix builds a request for it."""

    who: str
    url: Callable[[Any], str]
    data: Callable[[Any], dict[str, Any]] = lambda world: {}
    roles: tuple[str, ...] = ()  # PROVIDER: the roles that may use it
    company_object: bool = False  # PROVIDER: the URL names one of company A's objects
    refusals: dict[str, str] = field(default_factory=dict)  # actor -> outcome, overriding
    ok_location: str | None = None  # a 3xx is "ok" only when its Location matches this regex
    multipart: bool = False
    fresh_client: bool = False  # the request changes the session (log out): use a throwaway
    note: str = ""


def expected(rule: Rule, actor: str) -> str:
    """What ``actor`` should get from the route ``rule`` describes."""
    if actor in rule.refusals:
        return rule.refusals[actor]
    if rule.who == PUBLIC:
        return OK
    if rule.who == DEV_ONLY:
        return "404"
    if rule.who == WEBHOOK:
        return "403"  # unsigned; the signed request is checked separately
    if rule.who == SHARED_SECRET:
        return "401"  # no secret; the request with it is checked separately
    if rule.who == PLATFORM_ADMIN:
        return OK if actor == "platform_admin" else "404"
    if actor == "anonymous":
        return LOGIN
    if rule.who == SIGNED_IN_ONLY:
        return OK
    if rule.who == VERIFIED:
        return VERIFY if actor == "unverified" else OK
    if rule.who == OWNER:
        return OK if actor == "user" else "404"
    if rule.who == CUSTOMER:
        return OK if actor == "user" else REDIRECT
    if rule.who == INVITEE:
        return OK if actor == "other_user" else "403"
    if rule.who == PROVIDER:
        role = {"staff": "staff", "admin": "admin", "owner": "owner", "other_admin": "admin"}
        if actor not in role:
            return "404"  # in no company: the console does not exist for them
        if role[actor] not in rule.roles:
            return "403"
        if actor == "other_admin" and rule.company_object:
            return "404"
        return OK
    raise AssertionError(f"unknown kind of access {rule.who!r}")


def _branch_form(world: Any) -> dict[str, Any]:
    return {"name": "Tim Cikini", "address": "Jl. Cikini 1", "city": "Jakarta"}


RULES: dict[tuple[str, str], Rule] = {
    # -- public pages ---------------------------------------------------------------------
    ("feed.index", "GET"): Rule(PUBLIC, lambda w: "/?q=kopi&category=food-drink&page=1"),
    ("feed.set_location", "POST"): Rule(PUBLIC, lambda w: "/location", lambda w: {"place": ""}),
    ("pages.privacy", "GET"): Rule(PUBLIC, lambda w: "/privacy"),
    ("pages.healthz", "GET"): Rule(PUBLIC, lambda w: "/healthz"),
    ("pages.service_worker", "GET"): Rule(PUBLIC, lambda w: "/sw.js"),
    ("pages.offline", "GET"): Rule(PUBLIC, lambda w: "/offline"),
    ("static", "GET"): Rule(PUBLIC, lambda w: "/static/" + w.static_file),
    ("dev.outbox", "GET"): Rule(DEV_ONLY, lambda w: "/dev/outbox"),
    ("vouchers.detail", "GET"): Rule(PUBLIC, lambda w: f"/vouchers/{w.voucher.id}"),
    ("providers.page", "GET"): Rule(PUBLIC, lambda w: f"/providers/{w.company.slug}"),
    ("media.image", "GET"): Rule(PUBLIC, lambda w: w.image_url()),
    ("account.picture", "GET"): Rule(
        PUBLIC,
        lambda w: w.picture_url(),
        note="public like the rest of a public profile; the URL carries the picture's hash",
    ),
    ("providers.person", "GET"): Rule(PUBLIC, lambda w: f"/people/{w.users['user'].public_id}"),
    ("providers.person_picture", "GET"): Rule(
        PUBLIC,
        lambda w: w.public_picture_url(),
        note="public like the profile it belongs to; the URL carries the picture's hash",
    ),
    ("sharing.landing", "GET"): Rule(PUBLIC, lambda w: f"/s/{w.share_token}"),
    ("sharing.share", "GET"): Rule(PUBLIC, lambda w: f"/vouchers/{w.voucher.id}/share"),
    ("unsubscribe.unsubscribe", "GET"): Rule(PUBLIC, lambda w: f"/unsubscribe/{w.unsub_token}"),
    ("unsubscribe.unsubscribe", "POST"): Rule(
        PUBLIC,
        lambda w: f"/unsubscribe/{w.unsub_token}",
        note="RFC 8058 one-click: the signed token is the credential, no session needed",
    ),
    # -- sign-up, log in, passwords (forms posted empty: they re-render) ------------------
    ("auth.signup", "GET"): Rule(PUBLIC, lambda w: "/signup"),
    ("auth.signup", "POST"): Rule(PUBLIC, lambda w: "/signup"),
    ("auth.login", "GET"): Rule(PUBLIC, lambda w: "/login"),
    ("auth.login", "POST"): Rule(PUBLIC, lambda w: "/login"),
    ("auth.logout", "POST"): Rule(PUBLIC, lambda w: "/logout", fresh_client=True),
    ("auth.welcome_back", "GET"): Rule(
        PUBLIC,
        lambda w: "/login/welcome-back",
        refusals={a: LOGIN for a in ACTORS},
        note="without a correct password just given it only sends the visitor to log in",
    ),
    ("auth.welcome_back_confirm", "POST"): Rule(
        PUBLIC,
        lambda w: "/login/welcome-back",
        fresh_client=True,
        refusals={a: LOGIN for a in ACTORS},
        note="acts only on the account whose password this session has just proven",
    ),
    ("auth.forgot_password", "GET"): Rule(PUBLIC, lambda w: "/forgot-password"),
    ("auth.forgot_password", "POST"): Rule(PUBLIC, lambda w: "/forgot-password"),
    ("auth.reset_password", "GET"): Rule(PUBLIC, lambda w: "/reset-password"),
    ("auth.reset_password", "POST"): Rule(PUBLIC, lambda w: "/reset-password"),
    ("auth.change_password", "GET"): Rule(SIGNED_IN_ONLY, lambda w: "/account/password"),
    ("auth.change_password", "POST"): Rule(SIGNED_IN_ONLY, lambda w: "/account/password"),
    ("auth.verify", "GET"): Rule(SIGNED_IN_ONLY, lambda w: "/verify"),
    ("auth.verify_phone", "POST"): Rule(SIGNED_IN_ONLY, lambda w: "/verify/phone"),
    ("auth.verify_email", "POST"): Rule(SIGNED_IN_ONLY, lambda w: "/verify/email"),
    ("auth.verify_phone_resend", "POST"): Rule(
        SIGNED_IN_ONLY,
        lambda w: "/verify/phone/resend",
        refusals={"unverified": VERIFY},
        note="unverified: the code is sent and the answer is 303 back to /verify (success)",
    ),
    ("auth.verify_email_resend", "POST"): Rule(
        SIGNED_IN_ONLY,
        lambda w: "/verify/email/resend",
        refusals={"unverified": VERIFY},
        note="unverified: the code is sent and the answer is 303 back to /verify (success)",
    ),
    ("auth.verify_email_link", "GET"): Rule(
        PUBLIC,
        lambda w: "/verify/email/not-a-valid-token",
        note="the signed token names the code; opening it needs no session",
    ),
    ("social.login", "GET"): Rule(PUBLIC, lambda w: "/auth/google/login"),
    ("social.callback", "GET"): Rule(
        PUBLIC,
        lambda w: "/auth/google/callback?state=forged&code=forged",
        refusals={"anonymous": LOGIN},
        note="a forged callback (state not ours) is refused: back to /login (anonymous) or to "
        "the linked accounts page, with a message",
    ),
    ("social.complete_signup", "GET"): Rule(PUBLIC, lambda w: "/auth/complete-signup"),
    ("social.complete_signup", "POST"): Rule(PUBLIC, lambda w: "/auth/complete-signup"),
    ("social.linked", "GET"): Rule(SIGNED_IN_ONLY, lambda w: "/account/linked"),
    ("social.unlink", "POST"): Rule(SIGNED_IN_ONLY, lambda w: "/account/linked/google/unlink"),
    # -- claims and sharing ----------------------------------------------------------------
    ("vouchers.claim", "POST"): Rule(
        VERIFIED,
        lambda w: f"/vouchers/{w.new_voucher().id}/claim",
        ok_location=r"/me/vouchers/\d+$",
        refusals={"unverified": REDIRECT},
        note="unverified: 303 back to the voucher page with a message, not to /verify",
    ),
    ("sharing.share", "POST"): Rule(
        VERIFIED,
        lambda w: f"/vouchers/{w.voucher.id}/share",
        refusals={"unverified": "403"},
        note="unverified: 403 with the form saying why and a link to /verify",
    ),
    ("vouchers.mine", "GET"): Rule(SIGNED_IN_ONLY, lambda w: "/me/vouchers"),
    ("vouchers.my_claim", "GET"): Rule(OWNER, lambda w: f"/me/vouchers/{w.claim.id}"),
    ("vouchers.hide_claim", "POST"): Rule(OWNER, lambda w: f"/me/vouchers/{w.claim.id}/hide"),
    ("vouchers.unhide_claim", "POST"): Rule(OWNER, lambda w: f"/me/vouchers/{w.claim.id}/unhide"),
    ("sharing.dismiss_shared", "POST"): Rule(
        OWNER, lambda w: f"/me/shared/{w.inbox_share()}/dismiss", note="the share's recipient"
    ),
    # -- reviews ---------------------------------------------------------------------------
    ("providers.review", "GET"): Rule(
        CUSTOMER,
        lambda w: f"/providers/{w.company.slug}/vouchers/{w.review_voucher.id}/review",
        ok_location=r"#review-\d+$",
        note="others: 303 back to the provider page with 'review once you have redeemed it'",
    ),
    ("providers.review", "POST"): Rule(
        CUSTOMER,
        lambda w: f"/providers/{w.company.slug}/vouchers/{w.review_voucher.id}/review",
        ok_location=r"#review-\d+$",
    ),
    # Unverified users and members of the reviewed company are sent back to the page with a
    # message (a 303 like a success): tests/reviews/test_reviews_reports.py checks those refusals.
    ("providers.report", "GET"): Rule(SIGNED_IN_ONLY, lambda w: f"/reviews/{w.review.id}/report"),
    ("providers.report", "POST"): Rule(SIGNED_IN_ONLY, lambda w: f"/reviews/{w.review.id}/report"),
    ("admin.reviews", "GET"): Rule(PLATFORM_ADMIN, lambda w: "/admin/reviews"),
    ("admin.restore", "POST"): Rule(
        PLATFORM_ADMIN, lambda w: f"/admin/reviews/{w.hidden_review().id}/restore"
    ),
    ("admin.remove", "POST"): Rule(
        PLATFORM_ADMIN, lambda w: f"/admin/reviews/{w.hidden_review().id}/remove"
    ),
    ("admin.index", "GET"): Rule(PLATFORM_ADMIN, lambda w: "/admin/"),
    ("admin.categories", "GET"): Rule(PLATFORM_ADMIN, lambda w: "/admin/categories"),
    ("admin.category_new", "GET"): Rule(PLATFORM_ADMIN, lambda w: "/admin/categories/new"),
    ("admin.category_new", "POST"): Rule(
        PLATFORM_ADMIN,
        lambda w: "/admin/categories/new",
        lambda w: {"slug": "matrix-new", "name_en": "Matrix", "name_id": "Matriks"},
    ),
    ("admin.category_edit", "GET"): Rule(
        PLATFORM_ADMIN, lambda w: f"/admin/categories/{w.spare_category().id}/edit"
    ),
    ("admin.category_edit", "POST"): Rule(
        PLATFORM_ADMIN,
        lambda w: f"/admin/categories/{w.spare_category().id}/edit",
        lambda w: {"slug": "matrix-edited", "name_en": "Edited", "name_id": "Diubah"},
    ),
    ("admin.category_deactivate", "POST"): Rule(
        PLATFORM_ADMIN, lambda w: f"/admin/categories/{w.spare_category().id}/deactivate"
    ),
    ("admin.category_reactivate", "POST"): Rule(
        PLATFORM_ADMIN, lambda w: f"/admin/categories/{w.spare_category().id}/reactivate"
    ),
    ("admin.queues", "GET"): Rule(PLATFORM_ADMIN, lambda w: "/admin/queues"),
    # -- my account ------------------------------------------------------------------------
    ("account.index", "GET"): Rule(SIGNED_IN_ONLY, lambda w: "/account"),
    ("account.edit_profile", "GET"): Rule(SIGNED_IN_ONLY, lambda w: "/account/profile"),
    ("account.edit_profile", "POST"): Rule(
        SIGNED_IN_ONLY, lambda w: "/account/profile", lambda w: {"display_name": "Sam"}
    ),
    ("account.upload_picture", "POST"): Rule(
        SIGNED_IN_ONLY,
        lambda w: "/account/profile/picture",
        lambda w: {"picture": w.picture_upload()},
        multipart=True,
        note="acts on the signed-in user's own picture only (no id in the URL)",
    ),
    ("account.remove_picture", "POST"): Rule(
        SIGNED_IN_ONLY, lambda w: "/account/profile/picture/remove"
    ),
    ("account.contact", "GET"): Rule(SIGNED_IN_ONLY, lambda w: "/account/email"),
    ("account.request_contact_change", "POST"): Rule(
        SIGNED_IN_ONLY, lambda w: "/account/phone", lambda w: {"address": "", "password": "wrong"}
    ),
    ("account.confirm_contact_change", "POST"): Rule(
        SIGNED_IN_ONLY, lambda w: "/account/email/confirm", lambda w: {"new-code": "000000"}
    ),
    ("account.resend_contact_code", "POST"): Rule(
        SIGNED_IN_ONLY, lambda w: "/account/email/resend"
    ),
    ("account.cancel_contact_change", "POST"): Rule(
        SIGNED_IN_ONLY, lambda w: "/account/phone/cancel"
    ),
    ("account.privacy", "GET"): Rule(SIGNED_IN_ONLY, lambda w: "/account/privacy"),
    ("account.save_privacy", "POST"): Rule(
        SIGNED_IN_ONLY, lambda w: "/account/privacy", lambda w: {"sms_notifications": "y"}
    ),
    ("account.toggle_privacy", "POST"): Rule(
        SIGNED_IN_ONLY, lambda w: "/account/privacy/sms_notifications", lambda w: {}
    ),
    ("account.export", "GET"): Rule(SIGNED_IN_ONLY, lambda w: "/account/export"),
    ("account.create_export", "POST"): Rule(SIGNED_IN_ONLY, lambda w: "/account/export"),
    ("account.download_export", "GET"): Rule(
        OWNER,
        lambda w: f"/account/export/{w.export_token}",
        refusals={a: "400" for a in SIGNED_IN if a != "user"},
        note="another user's export link: 400 'not valid' (the export page), not 404",
    ),
    ("account.download_export_file", "GET"): Rule(
        OWNER,
        lambda w: w.export_file_url(),
        refusals={a: "400" for a in SIGNED_IN if a != "user"},
        note="another user's file link: 400 'not valid' (the export page), not 404",
    ),
    ("account.close", "GET"): Rule(SIGNED_IN_ONLY, lambda w: "/account/close"),
    ("account.close", "POST"): Rule(
        SIGNED_IN_ONLY, lambda w: "/account/close", lambda w: {"password": "wrong"}
    ),
    ("account.closed", "GET"): Rule(PUBLIC, lambda w: "/account/closed"),
    ("account.delete", "GET"): Rule(SIGNED_IN_ONLY, lambda w: "/account/delete"),
    ("account.delete", "POST"): Rule(
        SIGNED_IN_ONLY, lambda w: "/account/delete", lambda w: {"password": "wrong"}
    ),
    ("account.deleted", "GET"): Rule(PUBLIC, lambda w: "/account/deleted"),
    ("account.reopen", "GET"): Rule(PUBLIC, lambda w: "/account/reopen"),
    ("account.reopen", "POST"): Rule(PUBLIC, lambda w: "/account/reopen"),
    # -- provider console ------------------------------------------------------------------
    ("provider.company_new", "GET"): Rule(VERIFIED, lambda w: "/provider/new"),
    ("provider.company_new", "POST"): Rule(VERIFIED, lambda w: "/provider/new"),
    ("provider.switch", "POST"): Rule(
        SIGNED_IN_ONLY,
        lambda w: "/provider/switch",
        lambda w: {"company_id": str(w.company.id)},
        note="a non-member is told they are not a member; the session keeps its company",
    ),
    ("provider.dashboard", "GET"): Rule(PROVIDER, lambda w: "/provider/", roles=ALL_ROLES),
    ("provider.stats_csv", "GET"): Rule(
        PROVIDER, lambda w: "/provider/stats.csv", roles=PROVIDER_MANAGERS
    ),
    ("provider.redeem", "GET"): Rule(PROVIDER, lambda w: "/provider/redeem", roles=ALL_ROLES),
    ("provider.redeem_lookup", "GET"): Rule(
        PROVIDER, lambda w: "/provider/redeem/lookup", roles=ALL_ROLES
    ),
    ("provider.redeem_lookup", "POST"): Rule(
        PROVIDER,
        lambda w: "/provider/redeem/lookup",
        lambda w: {"phone": "0812 0000 0000"},
        roles=ALL_ROLES,
    ),
    ("provider.redeem_confirm", "POST"): Rule(
        PROVIDER, lambda w: "/provider/redeem/confirm", roles=ALL_ROLES
    ),
    ("provider.redeem_offline", "POST"): Rule(
        PROVIDER, lambda w: "/provider/redeem/offline", roles=ALL_ROLES
    ),
    ("provider.redeem_conflicts", "GET"): Rule(
        PROVIDER, lambda w: "/provider/redeem/conflicts", roles=ALL_ROLES
    ),
    ("provider.branches", "GET"): Rule(
        PROVIDER, lambda w: "/provider/branches", roles=PROVIDER_MANAGERS
    ),
    ("provider.branch_new", "GET"): Rule(
        PROVIDER, lambda w: "/provider/branches/new", roles=PROVIDER_MANAGERS
    ),
    ("provider.branch_new", "POST"): Rule(
        PROVIDER, lambda w: "/provider/branches/new", roles=PROVIDER_MANAGERS
    ),
    ("provider.branch_edit", "GET"): Rule(
        PROVIDER,
        lambda w: f"/provider/branches/{w.branch.id}/edit",
        roles=PROVIDER_MANAGERS,
        company_object=True,
    ),
    ("provider.branch_edit", "POST"): Rule(
        PROVIDER,
        lambda w: f"/provider/branches/{w.branch.id}/edit",
        _branch_form,
        roles=PROVIDER_MANAGERS,
        company_object=True,
    ),
    ("provider.branch_phone", "GET"): Rule(
        PROVIDER,
        lambda w: f"/provider/branches/{w.branch.id}/phone",
        roles=PROVIDER_MANAGERS,
        company_object=True,
    ),
    ("provider.branch_phone_code", "POST"): Rule(
        PROVIDER,
        lambda w: f"/provider/branches/{w.branch.id}/phone/code",
        roles=PROVIDER_MANAGERS,
        company_object=True,
    ),
    ("provider.branch_phone_confirm", "POST"): Rule(
        PROVIDER,
        lambda w: f"/provider/branches/{w.branch.id}/phone",
        lambda w: {"code": "000000"},
        roles=PROVIDER_MANAGERS,
        company_object=True,
    ),
    ("provider.branch_deactivate", "POST"): Rule(
        PROVIDER,
        lambda w: f"/provider/branches/{w.spare_branch.id}/deactivate",
        roles=PROVIDER_MANAGERS,
        company_object=True,
    ),
    ("provider.branch_reactivate", "POST"): Rule(
        PROVIDER,
        lambda w: f"/provider/branches/{w.spare_branch.id}/reactivate",
        roles=PROVIDER_MANAGERS,
        company_object=True,
    ),
    ("provider.company", "GET"): Rule(
        PROVIDER, lambda w: "/provider/company", roles=PROVIDER_MANAGERS
    ),
    ("provider.company", "POST"): Rule(
        PROVIDER, lambda w: "/provider/company", lambda w: {"name": ""}, roles=PROVIDER_MANAGERS
    ),
    ("provider.team", "GET"): Rule(PROVIDER, lambda w: "/provider/team", roles=PROVIDER_MANAGERS),
    ("provider.team_invite", "POST"): Rule(
        PROVIDER, lambda w: "/provider/team/invitations", roles=PROVIDER_MANAGERS
    ),
    ("provider.invitation_revoke", "POST"): Rule(
        PROVIDER,
        lambda w: f"/provider/team/invitations/{w.new_invitation().id}/revoke",
        roles=PROVIDER_MANAGERS,
        company_object=True,
    ),
    ("provider.member_edit", "GET"): Rule(
        PROVIDER,
        lambda w: f"/provider/team/{w.memberships['staff'].id}",
        roles=PROVIDER_MANAGERS,
        company_object=True,
    ),
    ("provider.member_edit", "POST"): Rule(
        PROVIDER,
        lambda w: f"/provider/team/{w.memberships['staff'].id}",
        lambda w: {"role": "staff", "branches": str(w.branch.id)},
        roles=PROVIDER_MANAGERS,
        company_object=True,
    ),
    ("provider.member_remove", "POST"): Rule(
        PROVIDER,
        lambda w: f"/provider/team/{w.new_member().id}/remove",
        roles=PROVIDER_MANAGERS,
        company_object=True,
    ),
    ("provider.invitation", "GET"): Rule(
        INVITEE,
        lambda w: f"/provider/invitations/{w.invitation_token()}",
        refusals={"anonymous": OK},
        note="anonymous visitors see the invitation and are asked to log in or sign up",
    ),
    ("provider.invitation_accept", "POST"): Rule(
        INVITEE, lambda w: f"/provider/invitations/{w.invitation_token()}/accept"
    ),
    ("provider.vouchers", "GET"): Rule(
        PROVIDER, lambda w: "/provider/vouchers", roles=PROVIDER_MANAGERS
    ),
    ("provider.voucher_new", "GET"): Rule(
        PROVIDER, lambda w: "/provider/vouchers/new", roles=PROVIDER_MANAGERS
    ),
    ("provider.voucher_new", "POST"): Rule(
        PROVIDER,
        lambda w: "/provider/vouchers/new",
        lambda w: {"title": ""},
        roles=PROVIDER_MANAGERS,
        multipart=True,
    ),
    ("provider.voucher_edit", "GET"): Rule(
        PROVIDER,
        lambda w: f"/provider/vouchers/{w.voucher.id}/edit",
        roles=PROVIDER_MANAGERS,
        company_object=True,
    ),
    ("provider.voucher_edit", "POST"): Rule(
        PROVIDER,
        lambda w: f"/provider/vouchers/{w.voucher.id}/edit",
        lambda w: {"title": ""},
        roles=PROVIDER_MANAGERS,
        company_object=True,
        multipart=True,
    ),
    ("provider.voucher_status", "POST"): Rule(
        PROVIDER,
        lambda w: f"/provider/vouchers/{w.spare_voucher.id}/status",
        lambda w: {"action": "resume"},
        roles=PROVIDER_MANAGERS,
        company_object=True,
    ),
    ("provider.reviews", "GET"): Rule(
        PROVIDER, lambda w: "/provider/reviews", roles=PROVIDER_MANAGERS
    ),
    ("provider.reply", "POST"): Rule(
        PROVIDER,
        lambda w: f"/provider/reviews/{w.review.id}/reply",
        lambda w: {f"review-{w.review.id}-reply": "Terima kasih!"},
        roles=PROVIDER_MANAGERS,
        company_object=True,
    ),
    # -- webhooks --------------------------------------------------------------------------
    ("webhooks.twilio_sms", "POST"): Rule(
        WEBHOOK,
        lambda w: "/webhooks/twilio/sms",
        lambda w: {"From": "+622131900001", "Body": "REDEEM 1234"},
    ),
    ("webhooks.twilio_status", "POST"): Rule(
        WEBHOOK,
        lambda w: "/webhooks/twilio/status?outbox=1",
        lambda w: {"MessageSid": "SM123", "MessageStatus": "delivered"},
    ),
    ("webhooks.inbound_email", "POST"): Rule(
        SHARED_SECRET,
        lambda w: "/webhooks/inbound-email",
        lambda w: {"email": "Subject: unsubscribe\r\n\r\nplease"},
        note="without INBOUND_EMAIL_SECRET configured the route answers 404 for everybody",
    ),
}
