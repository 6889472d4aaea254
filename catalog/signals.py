"""Invalidate cached catalog pages whenever catalog data changes, however it is changed."""

from django.core.cache import cache
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from . import models
from .cache import catalog_changed

CATALOG_MODELS = (
    models.Instructor,
    models.CreditType,
    models.Offering,
    models.LearningObjective,
    models.OfferingCredit,
    models.Session,
    models.Bundle,
    models.SiteSettings,
)


@receiver(post_save)
@receiver(post_delete)
def _catalog_row_changed(sender, **kwargs) -> None:
    if sender in CATALOG_MODELS:
        if sender is models.SiteSettings:
            cache.delete(models.SiteSettings.CACHE_KEY)
        catalog_changed()


@receiver(m2m_changed)
def _catalog_relation_changed(sender, action: str, **kwargs) -> None:
    if action.startswith("post_") and sender in (
        models.Offering.instructors.through,
        models.Offering.prerequisites.through,
        models.Bundle.offerings.through,
    ):
        catalog_changed()
