"""Label Studio labelling configs for text classification: generate one, read one.

textml generates the simplest config that does the job::

    <View>
      <Text name="text" value="$text"/>
      <Choices name="label" toName="text" choice="single" showInLine="true">
        <Choice value="negative"/><Choice value="positive"/>
      </Choices>
    </View>

(``choice="multiple"`` for multi-label data). It also reads configs people wrote
themselves: the project must have one ``Choices`` control (or several, one of them named
``label``) pointing at a ``Text``/``HyperText`` object whose value is ``$some_field``;
task data then carries the text under ``some_field``. A ``Choice`` with an ``alias`` stores
the alias in results, so the alias is the label.

Label Studio does not check annotation or prediction results against the config, so
:func:`choices_of` and the push/pull code check labels themselves.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

from textml.exceptions import AnnotationError

TEXT_TAGS = ("text", "hypertext")


@dataclass(frozen=True)
class LabelSchema:
    """What textml needs from a project's config."""

    from_name: str  # the Choices control's name (results' "from_name")
    to_name: str  # the Text object's name (results' "to_name")
    text_field: str  # task data field holding the text ($text -> "text")
    labels: tuple[str, ...]  # the labels on offer, in config order
    multiple: bool  # choice="multiple": several labels per text

    def result(self, label) -> list[dict]:
        """A prediction/annotation ``result`` choosing ``label`` (a str, or a tuple for multi-label)."""
        choices = list(label) if isinstance(label, (tuple, list)) else [label]
        return [{"from_name": self.from_name, "to_name": self.to_name, "type": "choices",
                 "value": {"choices": choices}}]


def labelling_config(labels: Iterable[str], multilabel: bool = False, text_field: str = "text") -> str:
    """The XML config for classifying a text into ``labels`` (one, or several if ``multilabel``)."""
    labels = list(dict.fromkeys(str(label) for label in labels))
    if not labels:
        raise AnnotationError(
            "cannot build a labelling config without labels: the file has no labels or predictions; "
            "create the project in Label Studio with its labels and pass --project ID")
    choice = "multiple" if multilabel else "single"
    lines = ["<View>",
             f'  <Text name="text" value={quoteattr("$" + text_field)}/>',
             f'  <Choices name="label" toName="text" choice="{choice}" showInLine="true">']
    lines += [f"    <Choice value={quoteattr(label)}/>" for label in labels]
    lines += ["  </Choices>", "</View>"]
    return "\n".join(lines)


def _attr(element: ET.Element, name: str) -> str | None:
    """An attribute by name, ignoring case (Label Studio accepts toName and toname)."""
    for key, value in element.attrib.items():
        if key.lower() == name.lower():
            return value
    return None


def parse_config(xml: str, where: str = "the project") -> LabelSchema:
    """Read the classification control of a labelling config, or say why it does not fit."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise AnnotationError(f"{where}: its labelling config is not valid XML ({exc})") from None
    elements = list(root.iter())
    controls = [e for e in elements if e.tag.lower() == "choices"]
    if not controls:
        raise AnnotationError(
            f"{where} has no <Choices> control in its labelling config, so it is not a text-classification "
            f"project; use another project (or a new name, and textml creates one)")
    if len(controls) > 1:
        named = [c for c in controls if _attr(c, "name") == "label"]
        if len(named) != 1:
            names = ", ".join(repr(_attr(c, "name")) for c in controls)
            raise AnnotationError(f"{where} has several <Choices> controls ({names}); textml uses the one named "
                                  f"'label': rename it in the labelling config")
        controls = named
    control = controls[0]
    from_name = _attr(control, "name")
    to_names = [n.strip() for n in (_attr(control, "toName") or "").split(",") if n.strip()]
    if not from_name or not to_names:
        raise AnnotationError(f"{where}: its <Choices> control lacks a name or toName attribute; fix the config")
    if (_attr(control, "value") or "").startswith("$"):
        raise AnnotationError(f"{where}: its choices come from task data ({_attr(control, 'value')}); textml needs "
                              f"the labels listed as <Choice> tags in the config")
    to_name = to_names[0]
    target = next((e for e in elements if _attr(e, "name") == to_name), None)
    value = _attr(target, "value") if target is not None else None
    if target is None or target.tag.lower() not in TEXT_TAGS or not value or not value.startswith("$"):
        raise AnnotationError(f"{where}: its <Choices> control points at {to_name!r}, which is not a "
                              f'<Text value="$field"> object; textml classifies texts only')
    labels = []
    for choice in control.iter():
        if choice.tag.lower() == "choice":
            label = _attr(choice, "alias") or _attr(choice, "value")
            if label:
                labels.append(label)
    if not labels:
        raise AnnotationError(f"{where}: its <Choices> control offers no <Choice> labels; add them in Label Studio")
    multiple = (_attr(control, "choice") or "single").lower() == "multiple"
    return LabelSchema(from_name=from_name, to_name=to_name, text_field=value[1:],
                       labels=tuple(dict.fromkeys(labels)), multiple=multiple)


def choices_of(result: list | None, schema: LabelSchema) -> tuple[str, ...] | None:
    """The labels an annotation's ``result`` picks in the schema's control (None if it picks none)."""
    picked: list[str] = []
    for item in result or []:
        if not isinstance(item, dict) or item.get("from_name") != schema.from_name:
            continue
        value = item.get("value") or {}
        choices = value.get("choices")
        if isinstance(choices, str):
            choices = [choices]
        picked.extend(str(c) for c in choices or [])
    return tuple(sorted(set(picked))) if picked else None
