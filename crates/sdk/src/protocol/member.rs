//! A reference seen together with the shape it names. botocore lets a reference's serialization traits
//! (`locationName`, `flattened`, `xmlNamespace`, `timestampFormat`, `jsonvalue`) override the shape's own, so each
//! trait is read from the reference first and from the shape second.

use crate::model::{Model, Shape, ShapeRef, TimestampFormat, XmlNamespace};

/// A reference to a shape the model lacks: the model is damaged.
#[derive(Debug)]
pub(crate) struct Missing(pub(crate) String);

/// The shape `reference` names.
pub(crate) fn resolve<'m>(model: &'m Model, reference: &ShapeRef) -> Result<&'m Shape, Missing> {
    model.shape(&reference.shape).ok_or_else(|| Missing(reference.shape.clone()))
}

/// The name on the wire: the reference's `locationName`, else the shape's, else `default` (the member's name).
pub(crate) fn wire_name<'a>(reference: &'a ShapeRef, shape: &'a Shape, default: &'a str) -> &'a str {
    reference.location_name.as_deref().or(shape.location_name.as_deref()).unwrap_or(default)
}

/// Whether a list or map is flattened (XML and awsQuery: its items repeat the member's element or key).
pub(crate) fn flattened(reference: &ShapeRef, shape: &Shape) -> bool {
    reference.flattened || shape.flattened
}

/// The XML namespace declared on the element.
pub(crate) fn xml_namespace<'a>(reference: &'a ShapeRef, shape: &'a Shape) -> Option<&'a XmlNamespace> {
    reference.xml_namespace.as_ref().or(shape.xml_namespace.as_ref())
}

/// The timestamp format, `default` when the model names none.
pub(crate) fn timestamp_format(reference: &ShapeRef, shape: &Shape, default: TimestampFormat) -> TimestampFormat {
    reference.timestamp_format.or(shape.timestamp_format).unwrap_or(default)
}

/// Whether a string holds JSON text.
pub(crate) fn jsonvalue(reference: &ShapeRef, shape: &Shape) -> bool {
    reference.jsonvalue || shape.jsonvalue
}
