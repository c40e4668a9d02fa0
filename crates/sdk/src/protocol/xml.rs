//! XML for restXml, awsQuery and ec2Query: a body read into a small element tree, restXml bodies written from
//! checked input, XML output read by the model's shapes, and the error documents of all three
//! (`<Error><Code>…<Message>…`, wrapped in `<ErrorResponse>` or `<Response><Errors>`).
//!
//! Elements are matched by local name (namespace prefixes ignored). Lists are `<Name><member>…</member></Name>`
//! (the item element named by the list member's `locationName`), or flattened: the items repeat in place. Maps are
//! `<Name><entry><key>…</key><value>…</value></entry></Name>`, or flattened: `<Name><key>…</key><value>…</value></Name>`
//! repeated.

use quick_xml::XmlVersion;
use quick_xml::escape::{escape, resolve_predefined_entity};
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;
use serde_json::{Map, Number, Value as Json};

use crate::model::{Model, Operation, Shape, ShapeRef, TimestampFormat, Type, XmlNamespace};
use crate::protocol::error::{ServiceError, modelled_shape};
use crate::protocol::input::{Field, Typed, Value};
use crate::protocol::{Response, header, member, names, request_id, time};

/// Elements nested deeper than this are refused.
const MAX_DEPTH: usize = 128;

/// An XML element: its local name, attributes (by qualified name), child elements and text.
#[derive(Debug, Default)]
pub(crate) struct Element {
    pub(crate) name: String,
    pub(crate) attributes: Vec<(String, String)>,
    pub(crate) children: Vec<Element>,
    pub(crate) text: String,
}

impl Element {
    /// The first child element named `name`.
    pub(crate) fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|child| child.name == local(name))
    }

    /// The child elements named `name`.
    fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |child| child.name == local(name))
    }

    /// The first element named `name` in this one's subtree (itself included), depth first.
    pub(crate) fn find(&self, name: &str) -> Option<&Element> {
        if self.name == name {
            return Some(self);
        }
        self.children.iter().find_map(|child| child.find(name))
    }

    /// The text of the child `name`, when there is one with text.
    fn child_text(&self, name: &str) -> Option<String> {
        self.child(name).map(|child| child.text.trim().to_owned()).filter(|text| !text.is_empty())
    }

    /// The attribute `name` (by qualified name, else by local name).
    fn attribute(&self, name: &str) -> Option<&str> {
        let exact = self.attributes.iter().find(|(key, _)| key == name);
        exact.or_else(|| self.attributes.iter().find(|(key, _)| local(key) == local(name))).map(|(_, value)| value.as_str())
    }
}

/// A name without its namespace prefix.
fn local(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

/// The root element of a response's XML body; a body that is not XML is a client error.
pub(crate) fn read(response: &Response<'_>) -> Result<Element, Box<ServiceError>> {
    parse(response.body).map_err(|reason| {
        Box::new(ServiceError::client(format!("Unable to parse the response as XML: {reason}"), response.status, request_id(response.headers)))
    })
}

/// Reads `body` into its root element.
pub(crate) fn parse(body: &[u8]) -> Result<Element, String> {
    let text = std::str::from_utf8(body).map_err(|error| format!("not UTF-8: {error}"))?;
    let mut reader = Reader::from_str(text);
    let mut open: Vec<Element> = Vec::new();
    let mut root = None;
    loop {
        match reader.read_event().map_err(|error| error.to_string())? {
            Event::Start(start) => {
                if open.len() >= MAX_DEPTH {
                    return Err(format!("elements nested more than {MAX_DEPTH} deep"));
                }
                open.push(element(&start)?);
            }
            Event::Empty(start) => close(&mut open, &mut root, element(&start)?)?,
            Event::End(_) => {
                let done = open.pop().ok_or("an end tag without a start")?;
                close(&mut open, &mut root, done)?;
            }
            Event::Text(text) => push_text(&mut open, &text.xml_content(XmlVersion::Implicit1_0)),
            Event::CData(data) => push_text(&mut open, &data.into_inner()),
            Event::GeneralRef(reference) => {
                let resolved = match reference.resolve_char_ref().map_err(|error| error.to_string())? {
                    Some(c) => c.to_string(),
                    None => resolve_predefined_entity(&reference).ok_or_else(|| format!("unknown entity &{};", &*reference))?.to_owned(),
                };
                push_text(&mut open, &resolved);
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if !open.is_empty() {
        return Err("an element is not closed".to_owned());
    }
    root.ok_or_else(|| "no root element".to_owned())
}

/// An element from its start tag.
fn element(start: &BytesStart<'_>) -> Result<Element, String> {
    let mut attributes = Vec::new();
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|error| error.to_string())?;
        let value = attribute.normalized_value(XmlVersion::Implicit1_0).map_err(|error| error.to_string())?;
        attributes.push((attribute.key.as_ref().to_owned(), value.into_owned()));
    }
    Ok(Element { name: start.local_name().as_ref().to_owned(), attributes, children: Vec::new(), text: String::new() })
}

/// Text for the innermost open element (text outside the root is ignored).
fn push_text(open: &mut [Element], text: &str) {
    if let Some(current) = open.last_mut() {
        current.text.push_str(text);
    }
}

/// A closed element joins its parent, or becomes the root.
fn close(open: &mut [Element], root: &mut Option<Element>, done: Element) -> Result<(), String> {
    match open.last_mut() {
        Some(parent) => parent.children.push(done),
        None if root.is_none() => *root = Some(done),
        None => return Err("more than one root element".to_owned()),
    }
    Ok(())
}

/// Whether `body` is an XML error document (`<Error>` at the root).
pub(crate) fn is_error_document(body: &[u8]) -> bool {
    body.iter().find(|byte| !byte.is_ascii_whitespace()) == Some(&b'<') && parse(body).is_ok_and(|root| root.name == "Error")
}

/// The error an XML response names: `Code` and `Message` of the first `Error` element, the request id from
/// `RequestId` (`RequestID` in ec2Query) or the headers, the extended one from `HostId` or `x-amz-id-2`. A body
/// without a code (a HEAD response has none) takes its code from the status.
pub(crate) fn error(model: &Model, operation: &Operation, response: &Response<'_>) -> ServiceError {
    let mut error = ServiceError::from_status(response.status);
    let root = parse(response.body).ok();
    let found = root.as_ref().and_then(|root| root.find("Error"));
    let code = found.and_then(|found| found.child_text("Code"));
    if let Some(code) = &code {
        error.code = code.clone();
    }
    error.message = found.and_then(|found| found.child_text("Message"));
    let body_id = |name: &str| root.as_ref().and_then(|root| root.find(name)).map(|e| e.text.trim().to_owned()).filter(|id| !id.is_empty());
    error.request_id = body_id("RequestId").or_else(|| body_id("RequestID")).or_else(|| request_id(response.headers));
    error.extended_request_id = body_id("HostId").or_else(|| header(response.headers, "x-amz-id-2").map(str::to_owned));
    let from_status = if code.is_some() { None } else { Some(response.status) };
    error.shape = modelled_shape(model, operation, &error.code, from_status);
    error
}

/// A restXml output (or payload structure) read from the body's root. A root that holds only text and is named
/// like a member is that member's value (S3's `GetBucketLocation` answers `<LocationConstraint>eu-west-1<…>`).
pub(crate) fn output_root(model: &Model, reference: &ShapeRef, root: &Element) -> Json {
    let Some(shape) = model.shape(&reference.shape) else { return Json::Object(Map::new()) };
    if shape.kind == Type::Structure && root.children.is_empty() {
        let named = shape.members.iter().find(|(name, member)| {
            member.location.is_none() && model.shape(&member.shape).is_some_and(|s| member::wire_name(member, s, name) == root.name)
        });
        if let Some((name, member)) = named {
            return Json::Object(Map::from_iter([(names::shown(name), value(model, member, root))]));
        }
    }
    value(model, reference, root)
}

/// The structure `shape` read from `element`'s children and attributes, members by the names Step Functions shows.
pub(crate) fn structure(model: &Model, shape: &Shape, element: &Element) -> Json {
    let mut out = Map::new();
    for (name, member) in shape.members.iter().filter(|(_, member)| member.location.is_none()) {
        if let Some(found) = member_value(model, name, member, element) {
            out.insert(names::shown(name), found);
        }
    }
    Json::Object(out)
}

/// The member `name` of the structure `parent`, when present.
fn member_value(model: &Model, name: &str, member: &ShapeRef, parent: &Element) -> Option<Json> {
    let shape = model.shape(&member.shape)?;
    let wire = member::wire_name(member, shape, name);
    if member.xml_attribute {
        return parent.attribute(wire).map(|text| scalar(shape, text));
    }
    if member::flattened(member, shape) {
        return flattened(model, shape, wire, parent);
    }
    parent.child(wire).map(|element| value(model, member, element))
}

/// A flattened list or map: its items repeat in `parent` (a list's under its member's `locationName`, else `wire`).
fn flattened(model: &Model, shape: &Shape, wire: &str, parent: &Element) -> Option<Json> {
    match shape.kind {
        Type::List => {
            let item = shape.member.as_deref()?;
            let item_name = item.location_name.as_deref().unwrap_or(wire);
            let items: Vec<Json> = parent.children_named(item_name).map(|element| value(model, item, element)).collect();
            (!items.is_empty()).then_some(Json::Array(items))
        }
        Type::Map => {
            let entries: Vec<&Element> = parent.children_named(wire).collect();
            (!entries.is_empty()).then(|| map_entries(model, shape, entries))
        }
        _ => parent.child(wire).map(|element| scalar(shape, &element.text)),
    }
}

/// `element` read as the shape `reference` names.
fn value(model: &Model, reference: &ShapeRef, element: &Element) -> Json {
    let Some(shape) = model.shape(&reference.shape) else { return Json::Null };
    match shape.kind {
        Type::Structure => structure(model, shape, element),
        Type::List => match shape.member.as_deref() {
            Some(item) => {
                let item_name = item.location_name.as_deref().unwrap_or("member");
                Json::Array(element.children_named(item_name).map(|child| value(model, item, child)).collect())
            }
            None => Json::Array(Vec::new()),
        },
        Type::Map => map_entries(model, shape, element.children_named("entry").collect()),
        _ => scalar(shape, &element.text),
    }
}

/// Map entries, each an element holding a key and a value element.
fn map_entries(model: &Model, shape: &Shape, entries: Vec<&Element>) -> Json {
    let (Some(key), Some(item)) = (shape.key.as_deref(), shape.value.as_deref()) else { return Json::Object(Map::new()) };
    let key_name = key.location_name.as_deref().unwrap_or("key");
    let value_name = item.location_name.as_deref().unwrap_or("value");
    let mut out = Map::new();
    for entry in entries {
        let Some(key) = entry.child(key_name) else { continue };
        let found = entry.child(value_name).map_or(Json::Null, |element| value(model, item, element));
        out.insert(key.text.clone(), found);
    }
    Json::Object(out)
}

/// A scalar's text as its type; text that does not fit the type is kept as a string.
fn scalar(shape: &Shape, text: &str) -> Json {
    let trimmed = text.trim();
    let as_text = || Json::String(text.to_owned());
    match shape.kind {
        Type::Integer | Type::Long | Type::Short | Type::Byte => trimmed.parse::<i64>().map_or_else(|_| as_text(), Json::from),
        Type::Float | Type::Double | Type::BigInteger | Type::BigDecimal => {
            trimmed.parse::<f64>().ok().and_then(Number::from_f64).map_or_else(as_text, Json::Number)
        }
        Type::Boolean => match trimmed {
            "true" => Json::Bool(true),
            "false" => Json::Bool(false),
            _ => as_text(),
        },
        Type::Timestamp => time::from_wire_text(trimmed).map_or_else(as_text, |t| Json::String(time::iso8601(t))),
        Type::Blob => Json::String(trimmed.to_owned()),
        _ => as_text(),
    }
}

/// A restXml body: the element `name` holding `fields` (members bound to attributes become attributes), with the
/// namespace the reference or shape declares.
pub(crate) fn write_structure<'a, 'm: 'a>(
    name: &str,
    reference: &ShapeRef,
    shape: &Shape,
    fields: impl Iterator<Item = &'a Field<'m>>,
) -> String {
    let mut out = String::new();
    write_fields(&mut out, name, member::xml_namespace(reference, shape), fields);
    out
}

/// Writes the element `name` with `fields` as attributes and children.
fn write_fields<'a, 'm: 'a>(out: &mut String, name: &str, namespace: Option<&XmlNamespace>, fields: impl Iterator<Item = &'a Field<'m>>) {
    let (attributes, children): (Vec<&Field<'m>>, Vec<&Field<'m>>) = fields.partition(|field| field.typed.reference.xml_attribute);
    let attributes: Vec<(&str, String)> = attributes
        .iter()
        .map(|field| {
            let wire = member::wire_name(field.typed.reference, field.typed.shape, field.name);
            (wire, field.typed.text(TimestampFormat::Iso8601).unwrap_or_default())
        })
        .collect();
    open_tag(out, name, namespace, &attributes);
    for field in children {
        write_value(out, member::wire_name(field.typed.reference, field.typed.shape, field.name), &field.typed);
    }
    out.push_str(&format!("</{name}>"));
}

/// `<name xmlns… attribute="value"…>`.
fn open_tag(out: &mut String, name: &str, namespace: Option<&XmlNamespace>, attributes: &[(&str, String)]) {
    out.push('<');
    out.push_str(name);
    if let Some(uri) = namespace.and_then(|namespace| namespace.uri.as_deref()) {
        match namespace.and_then(|namespace| namespace.prefix.as_deref()) {
            Some(prefix) => out.push_str(&format!(" xmlns:{prefix}=\"{}\"", escape(uri))),
            None => out.push_str(&format!(" xmlns=\"{}\"", escape(uri))),
        }
    }
    for (key, value) in attributes {
        out.push_str(&format!(" {key}=\"{}\"", escape(value.as_str())));
    }
    out.push('>');
}

/// Writes `typed` as the element `name` (a flattened list or map as its repeated elements).
fn write_value(out: &mut String, name: &str, typed: &Typed<'_>) {
    let namespace = member::xml_namespace(typed.reference, typed.shape);
    match &typed.value {
        Value::Structure(fields) => write_fields(out, name, namespace, fields.iter()),
        Value::List(items) => {
            let flat = member::flattened(typed.reference, typed.shape);
            if !flat {
                open_tag(out, name, namespace, &[]);
            }
            let item_name = if flat { name } else { typed.shape.member.as_deref().and_then(|m| m.location_name.as_deref()).unwrap_or("member") };
            for item in items {
                write_value(out, item_name, item);
            }
            if !flat {
                out.push_str(&format!("</{name}>"));
            }
        }
        Value::Map(entries) => write_map(out, name, typed, entries),
        _ => {
            open_tag(out, name, namespace, &[]);
            let text = match &typed.value {
                Value::Document(document) => document.to_string(),
                _ => typed.text(TimestampFormat::Iso8601).unwrap_or_default(),
            };
            out.push_str(&escape(text.as_str()));
            out.push_str(&format!("</{name}>"));
        }
    }
}

/// Writes a map: `<name><entry><key>…</key><value>…</value></entry>…</name>`, or flattened without `entry`.
fn write_map(out: &mut String, name: &str, typed: &Typed<'_>, entries: &[(String, Typed<'_>)]) {
    let shape = typed.shape;
    let key_name = shape.key.as_deref().and_then(|key| key.location_name.as_deref()).unwrap_or("key");
    let value_name = shape.value.as_deref().and_then(|item| item.location_name.as_deref()).unwrap_or("value");
    let flat = member::flattened(typed.reference, shape);
    let (outer, entry) = if flat { (None, name) } else { (Some(name), "entry") };
    if let Some(outer) = outer {
        open_tag(out, outer, member::xml_namespace(typed.reference, shape), &[]);
    }
    for (key, item) in entries {
        out.push_str(&format!("<{entry}><{key_name}>{}</{key_name}>", escape(key.as_str())));
        write_value(out, value_name, item);
        out.push_str(&format!("</{entry}>"));
    }
    if let Some(outer) = outer {
        out.push_str(&format!("</{outer}>"));
    }
}
