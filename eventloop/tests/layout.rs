//! The hot structures' layouts on the target being tested (rustc's numbers, from the
//! derive), checked against the rules again at run time, including the warnings that
//! `cargo check` does not fail on (`adjacent-line`).

use layout::rules;

#[test]
fn hot_structures_keep_their_cache_line_intent() {
    let [fast, ring, shared] = eventloop::hot_layouts();
    assert_eq!((fast.size, fast.align), (128, 128));
    assert_eq!((ring.size, ring.align), (384, 128));
    assert_eq!((shared.size, shared.align), (1024, 128));
    for l in [fast, ring, shared] {
        assert!(rules::check_struct(&l).is_none(), "{}", l.name);
        for i in 0..l.fields.len() {
            assert!(
                rules::check_field_all(&l, i).is_none(),
                "{}::{}",
                l.name,
                l.fields[i].name
            );
            for j in 0..i {
                assert!(
                    rules::warn_adjacent(&l, i, j).is_none(),
                    "{}::{}",
                    l.name,
                    l.fields[i].name
                );
            }
        }
        assert!(rules::warn_unaligned_base(&l).is_none(), "{}", l.name);
        assert!(rules::warn_unstable_padding(&l).is_none(), "{}", l.name);
    }
    // Producer- and loop-written groups never share a 128-byte block.
    let off = |name: &str| {
        shared
            .fields
            .iter()
            .find(|f| f.name == name)
            .unwrap()
            .offset
    };
    assert_eq!(off("state"), 0);
    assert!(off("queue") >= 128 && off("executed") >= off("queue") + 128);
    let ring_off = |name: &str| ring.fields.iter().find(|f| f.name == name).unwrap().offset;
    assert_eq!(ring_off("tail") - ring_off("head"), 128);
}
