use super::*;

pub(crate) fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(
            &mut out, 85,
        ))
        .expect("encode");
    out
}

#[test]
fn photos_are_stored_with_thumbnails_and_listed_in_order() {
    let dir = tempfile::tempdir().expect("dir");
    let cache = PhotoCache::new(dir.path());
    assert_eq!(cache.photos("mls", "L/1").expect("none yet"), None);
    let big = jpeg(1200, 800);
    cache.store("mls", "L/1", 2, &jpeg(100, 50)).expect("2");
    let one = cache.store("mls", "L/1", 1, &big).expect("1");
    let thumb =
        image::load_from_memory(&std::fs::read(&one.thumbnail).expect("thumb")).expect("image");
    assert_eq!((thumb.width(), thumb.height()), (320, 213));
    assert_eq!(std::fs::read(&one.path).expect("photo"), big);
    let listed = cache.photos("mls", "L/1").expect("list").expect("some");
    assert_eq!(listed.iter().map(|p| p.number).collect::<Vec<_>>(), [1, 2]);
    // Keys that differ only in unsafe characters do not share a folder.
    assert_eq!(cache.photos("mls", "L_1").expect("list"), None);
    assert!(cache.size() > big.len() as u64);
    cache.mark_none("mls", "L2").expect("none");
    assert_eq!(cache.photos("mls", "L2").expect("list"), Some(Vec::new()));
    let e = cache
        .store("mls", "L3", 1, b"<html>not a photo</html>")
        .expect_err("bad");
    assert!(
        e.to_string().contains("photo 1 of L3 is not a picture"),
        "{e}"
    );
    assert_eq!(
        cache.photos("mls", "L3").expect("list"),
        None,
        "nothing half-stored"
    );
}

#[test]
fn gif_and_webp_photos_are_cached_thumbnailed_and_listed_like_jpeg() {
    let dir = tempfile::tempdir().expect("dir");
    let cache = PhotoCache::new(dir.path());
    let img = image::DynamicImage::ImageRgba8(image::RgbaImage::from_fn(640, 480, |x, y| {
        image::Rgba([(x % 256) as u8, (y % 256) as u8, 40, 255])
    }));
    let mut gif = Vec::new();
    img.write_with_encoder(image::codecs::gif::GifEncoder::new(&mut gif))
        .expect("gif");
    let mut webp = Vec::new();
    img.write_with_encoder(image::codecs::webp::WebPEncoder::new_lossless(&mut webp))
        .expect("webp");
    cache.store("mls", "G1", 1, &gif).expect("gif stored");
    cache.store("mls", "G1", 2, &webp).expect("webp stored");
    let listed = cache.photos("mls", "G1").expect("list").expect("some");
    let names: Vec<String> = listed
        .iter()
        .map(|p| {
            p.path
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(names, ["1.gif", "2.webp"]);
    for p in &listed {
        let t = image::load_from_memory(&std::fs::read(&p.thumbnail).expect("thumb"))
            .expect("thumbnail");
        assert_eq!((t.width(), t.height()), (320, 240));
    }
}

#[test]
fn a_location_copied_from_xml_has_its_entities_decoded() {
    assert_eq!(
        unescape_xml(" https://cdn.example/p?id=1&amp;n=2 "),
        "https://cdn.example/p?id=1&n=2"
    );
}

#[test]
fn reso_media_urls_are_photos_in_order() {
    let mut listing = porchlight_model::Listing {
        listing_key: "R1".into(),
        ..Default::default()
    };
    listing.other.insert(
        "Media".into(),
        r#"[{"MediaURL":"http://x/2.jpg","Order":2},{"MediaURL":"http://x/1.jpg","Order":1},{"MediaURL":"http://x/plan.pdf","MediaCategory":"Document"}]"#.into(),
    );
    let target = PhotoTarget {
        key: "R1".into(),
        source: "reso".into(),
        listing: Some(listing),
    };
    assert_eq!(media_urls(&target), ["http://x/1.jpg", "http://x/2.jpg"]);
}

#[test]
fn signed_links_say_when_they_expire() {
    use chrono::TimeZone;
    let now = chrono::Utc.with_ymd_and_hms(2026, 12, 3, 12, 0, 0).unwrap();
    let at = |t: i64| now.timestamp() + t;
    // CloudFront / Akamai.
    assert!(link_expired(
        &format!("https://cdn.x/p.jpg?Expires={}&Signature=s", at(-1)),
        now
    ));
    assert!(!link_expired(
        &format!("https://cdn.x/p.jpg?Expires={}", at(60)),
        now
    ));
    // S3 presigned: signed at 11:00 for an hour, so over at 12:00.
    let s3 = "https://b.s3.amazonaws.com/p.jpg?X-Amz-Date=20261203T110000Z&X-Amz-Expires=3600&X-Amz-Signature=x";
    assert!(link_expired(s3, now));
    assert!(!link_expired(&s3.replace("3600", "3601"), now));
    // Azure SAS.
    assert!(link_expired(
        "https://a.blob.core.windows.net/p.jpg?se=2026-12-03T11:59:00Z&sig=x",
        now
    ));
    // Nothing said, or not a URL: taken as good.
    assert!(!link_expired("https://cdn.x/p.jpg?sig=2", now));
    assert!(!link_expired("not a url", now));
}

#[test]
fn a_photo_set_keeps_its_mark_when_its_links_are_signed_again() {
    let with = |media: &str| {
        let mut l = porchlight_model::Listing {
            listing_key: "R1".into(),
            ..Default::default()
        };
        l.other.insert("Media".into(), media.into());
        l
    };
    let a = with(
        r#"[{"MediaKey":"m1","MediaURL":"https://x/1.jpg?sig=1","MediaModificationTimestamp":"2026-01-01T00:00:00Z"}]"#,
    );
    let b = with(
        r#"[{"MediaKey":"m1","MediaURL":"https://x/1.jpg?sig=2","MediaModificationTimestamp":"2026-01-01T00:00:00Z"}]"#,
    );
    let changed = with(
        r#"[{"MediaKey":"m1","MediaURL":"https://x/1.jpg?sig=2","MediaModificationTimestamp":"2026-02-01T00:00:00Z"}]"#,
    );
    // Without keys, a link without its query stands for the photo.
    let keyless = with(r#"[{"MediaURL":"https://x/1.jpg?sig=1"}]"#);
    let keyless_again = with(r#"[{"MediaURL":"https://x/1.jpg?sig=9"}]"#);
    assert_eq!(photo_mark(&a), photo_mark(&b));
    assert_ne!(photo_mark(&a), photo_mark(&changed));
    assert_eq!(photo_mark(&keyless), photo_mark(&keyless_again));
    let mut counted = porchlight_model::Listing::default();
    assert_eq!(photo_mark(&counted), None);
    counted.other.insert("PhotosCount".into(), "12".into());
    let twelve = photo_mark(&counted);
    counted.other.insert("PhotosCount".into(), "13".into());
    assert!(twelve.is_some() && twelve != photo_mark(&counted));
}
