//! A person's own picture: a PNG, JPEG, GIF or WebP they upload, cut to a square and
//! made 192 pixels wide as a JPEG. Re-encoding drops whatever else the file held (a
//! phone photo's location, a script in a crafted file) and keeps every page light.
//! Served only at the address of someone's current picture, so the route never gives
//! out another stored file (a ticket's attachment).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use diesel::prelude::*;
use futures_util::StreamExt;

use crate::db::Db;
use crate::db::schema::users;
use crate::error::AppError;
use crate::files::FileStore;

/// The largest picture taken, as uploaded (a phone's photo fits).
pub const MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024;

/// The side of a stored picture, in pixels (twice the largest it is shown at).
const SIDE: u32 = 192;

/// The largest side decoded: past it an image is refused before its pixels are read.
const MAX_SIDE: u32 = 10_000;

/// The address of a person's picture; it changes with the picture, so it is cached for good.
pub fn url(user_id: i64, sha256: &str) -> String {
    format!("/avatars/{user_id}/{sha256}")
}

/// Reads the `picture` field of a multipart form into memory: none when no file was
/// chosen (a browser still sends the empty part). Other fields are skipped.
pub async fn read_form(mut form: actix_multipart::Multipart) -> Result<Option<Vec<u8>>, AppError> {
    let unreadable =
        |e: actix_multipart::MultipartError| AppError::BadRequest(format!("The form could not be read: {e}"));
    let mut picture = None;
    while let Some(field) = form.next().await {
        let field = field.map_err(unreadable)?;
        let chosen = field.name() == Some("picture")
            && field
                .content_disposition()
                .and_then(|d| d.get_filename())
                .is_some_and(|f| !f.trim().is_empty());
        let mut field = field.fuse();
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(unreadable)?;
            if chosen {
                if bytes.len() + chunk.len() > MAX_UPLOAD_BYTES {
                    return Err(AppError::field(
                        "picture",
                        "This picture is larger than 10 MiB: choose a smaller one.",
                    ));
                }
                bytes.extend_from_slice(&chunk);
            }
        }
        if chosen {
            picture = Some(bytes);
        }
    }
    Ok(picture)
}

/// Makes the stored picture from an uploaded image: decoded within bounds, cut to the
/// middle square, scaled and encoded as JPEG (transparent parts on white).
pub fn square(uploaded: &[u8]) -> Result<Vec<u8>, AppError> {
    let refused = || {
        AppError::field(
            "picture",
            "Choose a PNG, JPEG, GIF or WebP image; this file is not one Parley can read.",
        )
    };
    let mut reader = image::ImageReader::new(std::io::Cursor::new(uploaded))
        .with_guessed_format()
        .map_err(|_| refused())?;
    if !matches!(
        reader.format(),
        Some(
            image::ImageFormat::Png
                | image::ImageFormat::Jpeg
                | image::ImageFormat::Gif
                | image::ImageFormat::WebP
        )
    ) {
        return Err(refused());
    }
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(512 * 1024 * 1024);
    reader.limits(limits);
    let image = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => AppError::field(
            "picture",
            "This image is larger than 10,000 pixels on a side: choose a smaller one.",
        ),
        _ => refused(),
    })?;
    let square = image
        .resize_to_fill(SIDE, SIDE, image::imageops::FilterType::Triangle)
        .to_rgba8();
    let mut flat = image::RgbImage::new(square.width(), square.height());
    for (x, y, p) in square.enumerate_pixels() {
        let [r, g, b, a] = p.0;
        let on_white = |c: u8| ((u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a))) / 255) as u8;
        flat.put_pixel(x, y, image::Rgb([on_white(r), on_white(g), on_white(b)]));
    }
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&flat)
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(out)
}

/// Sets a person's picture from an uploaded image (none chosen: says so).
pub async fn set(
    db: &Db,
    files: &FileStore,
    user_id: i64,
    uploaded: Option<Vec<u8>>,
) -> Result<String, AppError> {
    let Some(uploaded) = uploaded else {
        return Err(AppError::field("picture", "Choose a picture to upload."));
    };
    let jpeg = actix_web::web::block(move || square(&uploaded))
        .await
        .map_err(|e| AppError::Internal(e.into()))??;
    let stored = files.store_bytes(jpeg, MAX_UPLOAD_BYTES as u64).await?;
    let sha = stored.sha256.clone();
    db.write(move |c| {
        diesel::update(users::table.find(user_id))
            .set((
                users::avatar_sha256.eq(&sha),
                users::updated_at.eq(crate::db::now()),
            ))
            .execute(c)?;
        Ok(())
    })
    .await?;
    Ok(url(user_id, &stored.sha256))
}

/// Goes back to initials.
pub async fn remove(db: &Db, user_id: i64) -> Result<(), AppError> {
    db.write(move |c| {
        diesel::update(users::table.find(user_id))
            .set((
                users::avatar_sha256.eq(None::<String>),
                users::updated_at.eq(crate::db::now()),
            ))
            .execute(c)?;
        Ok(())
    })
    .await
}

/// The address of a person's picture, if they chose one, read on a connection at hand.
pub fn of(c: &mut crate::db::AnyConnection, user_id: i64) -> Result<Option<String>, AppError> {
    Ok(users::table
        .find(user_id)
        .select(users::avatar_sha256)
        .first::<Option<String>>(c)
        .optional()?
        .flatten()
        .map(|sha| url(user_id, &sha)))
}

/// The address of a person's picture, if they chose one.
pub async fn current(db: &Db, user_id: i64) -> Result<Option<String>, AppError> {
    db.read_quick(move |c| of(c, user_id)).await
}

async fn sha_of(db: &Db, user_id: i64) -> Result<Option<String>, AppError> {
    let url = db.read_quick(move |c| of(c, user_id)).await?;
    Ok(url.and_then(|u| u.rsplit('/').next().map(str::to_string)))
}

/// A person's current picture (`/avatars/{id}/{sha256}`); any other address is a 404.
pub async fn serve(
    db: &Db,
    files: &FileStore,
    req: &HttpRequest,
    user_id: i64,
    sha256: String,
) -> Result<HttpResponse, AppError> {
    if sha_of(db, user_id).await?.as_deref() != Some(sha256.as_str()) {
        return Err(AppError::NotFound);
    }
    let etag = format!("\"{sha256}\"");
    if req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == etag)
    {
        return Ok(HttpResponse::NotModified().finish());
    }
    let bytes = files.read(&sha256).await?;
    Ok(HttpResponse::Ok()
        .content_type("image/jpeg")
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "private, max-age=31536000, immutable"))
        .insert_header(("Content-Security-Policy", "default-src 'none'; sandbox"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let image =
            image::RgbaImage::from_fn(width, height, |x, _| image::Rgba([(x % 256) as u8, 40, 90, 128]));
        let mut out = std::io::Cursor::new(Vec::new());
        image.write_to(&mut out, image::ImageFormat::Png).expect("encode");
        out.into_inner()
    }

    #[test]
    fn any_image_becomes_a_small_square_jpeg() {
        let jpeg = square(&png(640, 300)).expect("square");
        let back = image::load_from_memory(&jpeg).expect("decode");
        assert_eq!((back.width(), back.height()), (SIDE, SIDE));
        assert_eq!(
            image::guess_format(&jpeg).expect("format"),
            image::ImageFormat::Jpeg
        );
    }

    #[test]
    fn what_is_not_an_image_is_refused_with_what_to_do() {
        for bytes in [
            b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>".to_vec(),
            b"%PDF-1.7".to_vec(),
            Vec::new(),
            png(20, 20)[..40].to_vec(),
        ] {
            match square(&bytes) {
                Err(AppError::Invalid { fields, .. }) => {
                    assert!(
                        fields["picture"][0].contains("PNG, JPEG, GIF or WebP"),
                        "{fields:?}"
                    )
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn a_huge_image_is_refused_before_its_pixels_are_read() {
        // A PNG header claiming 20,000 × 20,000 pixels.
        let mut header = png(1, 1);
        header[16..20].copy_from_slice(&20_000u32.to_be_bytes());
        header[20..24].copy_from_slice(&20_000u32.to_be_bytes());
        // The header chunk's checksum, over its type and data (bytes 12 to 29).
        let crc = header[12..29].iter().fold(!0u32, |mut crc, &b| {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
            crc
        });
        header[29..33].copy_from_slice(&(!crc).to_be_bytes());
        match square(&header) {
            Err(AppError::Invalid { fields, .. }) => {
                assert!(fields["picture"][0].contains("10,000 pixels"), "{fields:?}")
            }
            other => panic!("{other:?}"),
        }
    }
}
