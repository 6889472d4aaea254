"""The files the site keeps (certificate PDFs, signature images, the center's logo), stored in
the database so that every web and worker host reads what any other wrote (polaris.storage)."""

from django.db import models


class StoredFile(models.Model):
    """One file of the default storage, under the name its FileField records."""

    name = models.CharField(max_length=255, unique=True)
    content = models.BinaryField()
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "stored file"
        verbose_name_plural = "stored files"

    def __str__(self) -> str:
        return self.name
