//! A person's own picture: a PNG, JPEG, GIF or WebP they upload, cut to a square and
//! made 192 pixels wide as a JPEG. Re-encoding drops whatever else the file held (a
//! phone photo's location, a script in a crafted file) and keeps every page light.
//! Served only at the address of someone's current picture, so the route never gives
//! out another stored file (a ticket's attachment). A removed or replaced picture's
//! file stays in the store, as every stored file does (files are named by content and
//! may be shared).

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

/// Reads the `picture` field of a multipart form into memory: none when it is empty
/// (a browser sends an empty part when no file was chosen; a script may send the
/// bytes with no file name). Other fields are skipped.
pub async fn read_form(mut form: actix_multipart::Multipart) -> Result<Option<Vec<u8>>, AppError> {
    let unreadable =
        |e: actix_multipart::MultipartError| AppError::BadRequest(format!("The form could not be read: {e}"));
    let mut picture = None;
    while let Some(field) = form.next().await {
        let field = field.map_err(unreadable)?;
        let wanted = field.name() == Some("picture");
        let mut field = field.fuse();
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(unreadable)?;
            if wanted {
                if bytes.len() + chunk.len() > MAX_UPLOAD_BYTES {
                    return Err(AppError::field(
                        "picture",
                        "This picture is larger than 10 MiB: choose a smaller one.",
                    ));
                }
                bytes.extend_from_slice(&chunk);
            }
        }
        if wanted && !bytes.is_empty() {
            picture = Some(bytes);
        }
    }
    Ok(picture)
}

/// The most pixels decoded (a 48-megapixel phone photo fits); past it an image is
/// refused from its header, before its pixels are read.
const MAX_PIXELS: u64 = 50_000_000;

/// Pictures decoded at once: each may take a few hundred megabytes for a moment.
static DECODING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// Makes the stored picture from an uploaded image: decoded within bounds, turned as
/// the camera recorded, cut to the middle square, scaled and encoded as JPEG
/// (transparent parts on white).
pub fn square(uploaded: &[u8]) -> Result<Vec<u8>, AppError> {
    use image::ImageDecoder;
    let refused = || {
        AppError::field(
            "picture",
            "Choose a PNG, JPEG, GIF or WebP image; this file is not one Parley can read.",
        )
    };
    let too_large = || {
        AppError::field(
            "picture",
            "This image is larger than 10,000 pixels on a side or 50 megapixels: choose a smaller one.",
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
    limits.max_alloc = Some(256 * 1024 * 1024);
    reader.limits(limits);
    let limited = |e: image::ImageError| match e {
        image::ImageError::Limits(_) => too_large(),
        _ => refused(),
    };
    let mut decoder = reader.into_decoder().map_err(limited)?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(too_large());
    }
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = image::DynamicImage::from_decoder(decoder).map_err(limited)?;
    image.apply_orientation(orientation);
    // The middle square first, then scaled: a sliver of an image never grows.
    let side = image.width().min(image.height());
    let (x, y) = ((image.width() - side) / 2, (image.height() - side) / 2);
    let square = image
        .crop_imm(x, y, side, side)
        .resize_exact(SIDE, SIDE, image::imageops::FilterType::Triangle)
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

/// Sets a person's picture from a form's `picture` (multipart), for the page and the
/// API alike; returns its address.
pub async fn upload(
    db: &Db,
    files: &FileStore,
    limiter: &crate::web::rate_limit::Limiter,
    user: &crate::web::AuthUser,
    form: actix_multipart::Multipart,
) -> Result<String, AppError> {
    crate::forum::check_post_rate(limiter, user).await?;
    let uploaded = read_form(form).await?;
    set(db, files, user.id, uploaded).await
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
    let jpeg = {
        let _turn = DECODING
            .acquire()
            .await
            .map_err(|e| AppError::Internal(e.into()))?;
        actix_web::web::block(move || square(&uploaded))
            .await
            .map_err(|e| AppError::Internal(e.into()))??
    };
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

/// The SHA-256 of a person's picture, if they chose one, read on a connection at hand.
fn sha_on(c: &mut crate::db::AnyConnection, user_id: i64) -> Result<Option<String>, AppError> {
    Ok(users::table
        .find(user_id)
        .select(users::avatar_sha256)
        .first::<Option<String>>(c)
        .optional()?
        .flatten())
}

/// The address of a person's picture, if they chose one, read on a connection at hand.
pub fn of(c: &mut crate::db::AnyConnection, user_id: i64) -> Result<Option<String>, AppError> {
    Ok(sha_on(c, user_id)?.map(|sha| url(user_id, &sha)))
}

/// The address of a person's picture, if they chose one.
pub async fn current(db: &Db, user_id: i64) -> Result<Option<String>, AppError> {
    db.read_quick(move |c| of(c, user_id)).await
}

/// A person's current picture (`/avatars/{id}/{sha256}`). The address of one they had
/// before (a page kept for a minute may still name it) leads to the current one; with
/// none, or for a file that never was their picture, it is a 404: no other stored file
/// is reachable here.
pub async fn serve(
    db: &Db,
    files: &FileStore,
    req: &HttpRequest,
    user_id: i64,
    sha256: String,
) -> Result<HttpResponse, AppError> {
    let current = db.read_quick(move |c| sha_on(c, user_id)).await?;
    match current {
        Some(now) if now == sha256 => {
            files
                .respond(
                    req,
                    &sha256,
                    "image/jpeg",
                    None,
                    "private, max-age=31536000, immutable",
                )
                .await
        }
        Some(now) if crate::files::is_hash(&sha256) => Ok(HttpResponse::Found()
            .insert_header((header::LOCATION, url(user_id, &now)))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish()),
        _ => Err(AppError::NotFound),
    }
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
    fn a_sliver_of_an_image_never_grows_past_the_square() {
        // 1 × 4,000: scaled before it was cut, it would have been 192 × 768,000 pixels.
        let jpeg = square(&png(1, 4000)).expect("square");
        let back = image::load_from_memory(&jpeg).expect("decode");
        assert_eq!((back.width(), back.height()), (SIDE, SIDE));
    }

    /// A PNG whose header claims `width` × `height` pixels (with a valid checksum).
    fn claimed(width: u32, height: u32) -> Vec<u8> {
        let mut header = png(1, 1);
        header[16..20].copy_from_slice(&width.to_be_bytes());
        header[20..24].copy_from_slice(&height.to_be_bytes());
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
        header
    }

    #[test]
    fn a_huge_image_is_refused_before_its_pixels_are_read() {
        // Past 10,000 on a side, and within the sides but past 50 megapixels.
        for header in [claimed(20_000, 20_000), claimed(8_000, 8_000)] {
            match square(&header) {
                Err(AppError::Invalid { fields, .. }) => {
                    assert!(fields["picture"][0].contains("10,000 pixels"), "{fields:?}")
                }
                other => panic!("{other:?}"),
            }
        }
    }
}
