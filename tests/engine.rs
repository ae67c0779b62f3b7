//! Backend choice: Auto never takes a software adapter, Gpu does, and both say why.

mod common;

use streamliner::scan::{ScanKind, prefix_sum};
use streamliner::wgpu;
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

/// An engine on a device the caller made (shared with the caller): its scans equal the CPU twin's,
/// and the caller's device keeps working beside it.
#[test]
fn engine_on_the_callers_device() {
    let Some(gpu) = common::gpu() else { return };
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle().with_env());
    let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
        force_fallback_adapter: gpu.adapter().is_some_and(|a| a.software),
        ..Default::default()
    }))
    .or_else(|_| pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions::default())))
    .expect("an adapter, since the GPU engine has one");
    let (device, queue) = pollster::block_on(
        adapter.request_device(&wgpu::DeviceDescriptor { required_limits: adapter.limits(), ..Default::default() }),
    )
    .expect("a device");
    let engine = Engine::builder()
        .max_binding_bytes(common::SMALL_BINDING)
        .build_on_device(&adapter.get_info(), device.clone(), queue.clone())
        .unwrap();
    assert!(engine.is_gpu());
    let a = engine.adapter().unwrap();
    assert_eq!(a.name, adapter.get_info().name);
    assert_eq!(a.segment_elements, common::SMALL_SEGMENT as u64);
    assert!(a.features.is_empty(), "the caller enabled no feature: {:?}", a.features);
    let mut rng = common::Rng::new(10);
    for n in [0, 1, common::TILE + 1, 3 * common::SMALL_SEGMENT + 7] {
        let input = rng.u32s(n);
        for kind in [ScanKind::Inclusive, ScanKind::Exclusive] {
            let want: Vec<u64> = prefix_sum(common::cpu(), &input, kind).unwrap();
            let got: Vec<u64> = prefix_sum(&engine, &input, kind).unwrap();
            assert_eq!(got, want, "n={n} {kind:?}");
        }
    }
    // The caller's device is still usable after the engine's work.
    let buf = device.create_buffer(&wgpu::BufferDescriptor {
        label: None,
        size: 16,
        usage: wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    queue.write_buffer(&buf, 0, &[1u8; 16]);
    queue.submit(None);
    engine.synchronize().unwrap();
}

/// A device below the kernels' limits is refused with a named limit, not a panic.
#[test]
fn callers_device_below_the_limits_is_an_error() {
    if common::gpu().is_none() {
        return;
    }
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle().with_env());
    let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions::default()))
        .expect("an adapter, since the GPU engine has one");
    let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
        required_limits: wgpu::Limits::downlevel_webgl2_defaults(),
        ..Default::default()
    }))
    .expect("a device");
    match Engine::builder().build_on_device(&adapter.get_info(), device, queue) {
        Err(Error::DeviceRequest { message, .. }) => assert!(message.contains("below"), "{message}"),
        other => panic!("expected DeviceRequest, got {other:?}"),
    }
}
