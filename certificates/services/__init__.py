"""Every state change of certificates and evaluations, by sub-domain: issuing (what a
certificate snapshots, when it may be issued, corrections and revocations), rendering (the
PDFs), delivery (keeping the PDF and emailing it through registration's outbox), sessions
(the coordinator's side: a roster's certificates and their progress) and evaluations."""
