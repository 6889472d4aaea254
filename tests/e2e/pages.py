"""The public pages every e2e check visits (accessibility, CSP)."""

PUBLIC_PAGES = [
    "/",
    "/trainings/module-1/",
    "/programs/full-training/",
    "/calendar/",
    "/instructors/",
    "/instructors/harvey-schwartz/",
    "/accounts/login/",
    "/accounts/signup/",
    "/contact/",
]
