"""The base of every form: Flask-WTF's, but an uploaded file only reaches a file field.

Flask-WTF hands a form ``request.files`` and ``request.form`` merged, so a file posted under a
text field's name (a hostile or broken client) reaches that field's filters as a FileStorage and
crashes them. Here files are kept only for the form's own file fields; anything else posted as a
file is as if it had not been sent (the usual "required" error where it matters).
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_wtf import FlaskForm
from werkzeug.datastructures import CombinedMultiDict, MultiDict
from wtforms.fields import FileField, MultipleFileField

from konexi.services.errors import FieldErrors


class KonexiForm(FlaskForm):
    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form: Any, formdata: Any) -> Any:
            data = super().wrap_formdata(form, formdata)
            if not isinstance(data, CombinedMultiDict):
                return data
            file_fields = {
                name
                for name, field in form._fields.items()
                if isinstance(field, FileField | MultipleFileField)
            }
            files = MultiDict(
                [(k, v) for k, v in request.files.items(multi=True) if k in file_fields]
            )
            return CombinedMultiDict((files, request.form)) if files else request.form

    def show_errors(self, error: FieldErrors) -> None:
        """Put a service's messages next to the fields they are about (others above the form)."""
        for name, message in error.errors.items():
            field = getattr(self, name, None)
            if field is None:
                self.form_errors.append(message)
                continue
            if not isinstance(field.errors, list):
                field.errors = list(field.errors)
            field.errors.append(message)
