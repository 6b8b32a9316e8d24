//! `#[derive(Record)]` for recstore. Use it through `recstore::Record`.
//!
//! The generated code describes every field with its offset
//! (`core::mem::offset_of!`) and type, so the schema is computed from the
//! struct by the compiler and can never drift from it.

use proc_macro::TokenStream;
use proc_macro2::TokenStream as TokenStream2;
use quote::{quote, quote_spanned};
use syn::{ext::IdentExt, parse_macro_input, spanned::Spanned, Data, DeriveInput, Fields, LitStr};

/// Derives `recstore::Record` (and `recstore::RecordField`, so the record
/// can be nested in other records). See `recstore::Record` for the rules.
#[proc_macro_derive(Record, attributes(record))]
pub fn derive_record(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

fn expand(input: &DeriveInput) -> syn::Result<TokenStream2> {
    let ident = &input.ident;
    if !input.generics.params.is_empty() {
        return Err(syn::Error::new(
            input.generics.span(),
            "#[derive(Record)] does not support generic structs: a schema describes one concrete layout",
        ));
    }
    if !has_repr_c(input)? {
        return Err(syn::Error::new(
            ident.span(),
            "#[derive(Record)] needs #[repr(C)]: without it the field layout is not fixed",
        ));
    }
    let mut record_name = ident.unraw().to_string();
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("record")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("name") {
                record_name = meta.value()?.parse::<LitStr>()?.value();
                Ok(())
            } else {
                Err(meta.error("expected `name = \"...\"`"))
            }
        })?;
    }
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new(
            ident.span(),
            "#[derive(Record)] works on structs only",
        ));
    };
    let Fields::Named(fields) = &data.fields else {
        return Err(syn::Error::new(
            data.fields.span(),
            "#[derive(Record)] needs named fields",
        ));
    };
    let mut describe = Vec::new();
    let mut describe_checks = Vec::new();
    for field in &fields.named {
        let name = field.ident.as_ref().expect("named fields have names");
        let ty = &field.ty;
        // `r#type` is the field `type`: the schema (and a schema file) names
        // it without the raw-identifier prefix.
        let field_name = name.unraw().to_string();
        let mut padding = field_name.starts_with('_');
        for attr in field.attrs.iter().filter(|a| a.path().is_ident("record")) {
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("padding") {
                    padding = true;
                    Ok(())
                } else {
                    Err(meta.error("expected `padding`"))
                }
            })?;
        }
        // A zero-sized field (`[u64; 0]`, `PhantomData`) has no bytes to
        // describe: refuse it at compile time rather than at create.
        let zero_sized = format!(
            "#[derive(Record)]: field `{field_name}` of `{ident}` has size 0; \
             a record field needs at least one byte: remove the field or give it a size"
        );
        describe_checks.push(quote_spanned! {ty.span()=>
            const _: () = ::core::assert!(::core::mem::size_of::<#ty>() != 0, #zero_sized);
        });
        let offset = quote! { offset + ::core::mem::offset_of!(#ident, #name) as u64 };
        let full_name = quote! { &::recstore::__private::join(prefix, #field_name) };
        describe.push(if padding {
            quote! {
                ::recstore::__private::padding(#full_name, #offset,
                    ::core::mem::size_of::<#ty>() as u64, out);
            }
        } else {
            quote! {
                ::recstore::__private::nested::<#ty>(#full_name, #offset, out);
            }
        });
    }
    Ok(quote! {
        #(#describe_checks)*

        impl ::recstore::RecordField for #ident {
            const ELEMENTS: ::core::option::Option<(::recstore::Primitive, ::recstore::Endian, u64)> =
                ::core::option::Option::None;
            fn describe(prefix: &str, offset: u64, out: &mut ::recstore::__private::Vec<::recstore::Field>) {
                #(#describe)*
            }
        }

        impl ::recstore::Record for #ident {
            fn schema() -> &'static ::recstore::Schema {
                static SCHEMA: ::recstore::__private::OnceLock<::recstore::Schema> =
                    ::recstore::__private::OnceLock::new();
                SCHEMA.get_or_init(|| {
                    let mut fields = ::recstore::__private::Vec::new();
                    <Self as ::recstore::RecordField>::describe("", 0, &mut fields);
                    ::recstore::Schema::new(
                        #record_name,
                        ::core::mem::size_of::<Self>() as u64,
                        ::core::mem::align_of::<Self>() as u64,
                        fields,
                    )
                })
            }
        }
    })
}

fn has_repr_c(input: &DeriveInput) -> syn::Result<bool> {
    let mut found = false;
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("repr")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("C") {
                found = true;
            }
            // Accept and skip `align(N)` / `packed(N)` arguments.
            if meta.input.peek(syn::token::Paren) {
                let content;
                syn::parenthesized!(content in meta.input);
                let _: TokenStream2 = content.parse()?;
            }
            Ok(())
        })?;
    }
    Ok(found)
}
