from django.contrib.admin.apps import AdminConfig


class PolarisAdminConfig(AdminConfig):
    default_site = "polaris.admin.PolarisAdminSite"
