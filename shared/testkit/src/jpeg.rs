//! Real JPEG pictures for the photo tests (shared with the app's end-to-end test).

/// A real JPEG of `w`×`h` (a gradient), for photo tests.
pub fn jpeg_image(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 120])
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(
            &mut out, 85,
        ))
        .expect("encode");
    out
}
