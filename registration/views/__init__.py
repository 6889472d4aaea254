"""Registration's pages, one module per sub-domain; registration/urls.py maps them. Each view
parses the request, calls a service, and renders or redirects."""
