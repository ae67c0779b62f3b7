//! Backend choice: Auto never takes a software adapter, Gpu does, and both say why.

mod common;

use streamliner::{ActiveBackend, Backend, Engine, Error};

#[test]
fn auto_takes_hardware_or_the_cpu() {
    let e = Engine::new(Backend::Auto).unwrap();
    match e.adapter() {
        Some(a) => assert!(!a.software, "Auto chose the software adapter {}", a.name),
        None => {
            assert_eq!(e.info().active, ActiveBackend::Cpu);
            assert!(!e.info().reason.is_empty());
        }
    }
    assert_eq!(e.info().requested, Backend::Auto);
}

#[test]
fn gpu_names_its_adapter() {
    if let Some(e) = common::gpu() {
        let a = e.adapter().expect("a GPU engine has an adapter");
        assert!(!a.name.is_empty());
        assert!(a.max_storage_buffer_binding_size > 0);
        assert!(a.segment_elements > 0);
        assert_eq!(e.info().active, ActiveBackend::Gpu);
        let text = e.info().to_string();
        assert!(text.contains(&a.name), "{text}");
        if a.software {
            assert!(e.info().reason.contains("software"), "{}", e.info().reason);
        }
        // Only the optional features the engine asks for, each named in the info text.
        for f in &a.features {
            assert!(f == "SUBGROUP" || f == "TIMESTAMP_QUERY", "unexpected feature {f}");
            assert!(text.contains(f.as_str()), "{text}");
        }
    }
}

#[test]
fn backend_names_parse() {
    assert_eq!("auto".parse::<Backend>().unwrap(), Backend::Auto);
    assert_eq!("GPU".parse::<Backend>().unwrap(), Backend::Gpu);
    assert_eq!(" cpu ".parse::<Backend>().unwrap(), Backend::Cpu);
    let err = "cuda".parse::<Backend>().unwrap_err();
    assert!(matches!(err, Error::InvalidBackend { .. }));
    assert!(err.to_string().contains("cuda"));
}

#[test]
fn binding_cap_below_one_tile_is_an_error() {
    if common::gpu().is_some() {
        let err = Engine::builder().backend(Backend::Gpu).max_binding_bytes(1000).build().unwrap_err();
        assert!(matches!(err, Error::InvalidParameter { .. }), "{err}");
    }
}

#[test]
fn cpu_is_cpu() {
    let e = Engine::new(Backend::Cpu).unwrap();
    assert!(!e.is_gpu());
    assert!(e.adapter().is_none());
    e.synchronize().unwrap();
}
