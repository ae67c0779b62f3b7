//! [`AdapterInfo`]: what the engine knows of its GPU adapter, as it reports it.

use std::fmt;

/// What the engine knows of its GPU adapter.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct AdapterInfo {
    /// The adapter's name, e.g. "llvmpipe (LLVM 15.0.6, 256 bits)".
    pub name: String,
    /// The graphics API, e.g. "Vulkan".
    pub api: String,
    /// The device type as wgpu reports it: DiscreteGpu, IntegratedGpu, VirtualGpu, Cpu or Other.
    pub device_type: String,
    /// True for a software rasterizer (device type Cpu), such as lavapipe.
    pub software: bool,
    /// Driver name and version.
    pub driver: String,
    /// The largest storage binding the adapter allows, in bytes.
    pub max_storage_buffer_binding_size: u64,
    /// The largest buffer the adapter allows, in bytes.
    pub max_buffer_size: u64,
    /// Workgroups per dispatch dimension.
    pub max_compute_workgroups_per_dimension: u32,
    /// Workgroup memory, in bytes.
    pub max_compute_workgroup_storage_size: u32,
    /// Optional features enabled on the device, by wgpu's names: `SUBGROUP` and `TIMESTAMP_QUERY`
    /// where the adapter offers them (the engine requests no others).
    pub features: Vec<String>,
    /// Elements per device segment: larger arrays are processed in chunks of this many elements.
    pub segment_elements: u64,
    /// The device's memory in bytes, when it can be told: the host's for a software adapter; a hardware
    /// adapter's device-local Vulkan heaps, capped by the host's memory for an integrated one. A device
    /// array larger than it is refused before anything is allocated.
    pub memory: Option<u64>,
}

impl AdapterInfo {
    pub(crate) fn new(
        info: &wgpu::AdapterInfo,
        limits: &wgpu::Limits,
        features: wgpu::Features,
        segment_elements: u64,
        memory: Option<u64>,
    ) -> Self {
        AdapterInfo {
            name: info.name.clone(),
            api: format!("{:?}", info.backend),
            device_type: format!("{:?}", info.device_type),
            software: info.device_type == wgpu::DeviceType::Cpu,
            driver: format!("{} {}", info.driver, info.driver_info).trim().to_string(),
            max_storage_buffer_binding_size: limits.max_storage_buffer_binding_size,
            max_buffer_size: limits.max_buffer_size,
            max_compute_workgroups_per_dimension: limits.max_compute_workgroups_per_dimension,
            max_compute_workgroup_storage_size: limits.max_compute_workgroup_storage_size,
            features: features.iter_names().map(|(n, _)| n.to_string()).collect(),
            segment_elements,
            memory,
        }
    }
}

impl fmt::Display for AdapterInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}, {}{}; driver {}; storage binding {} MiB, segments of {} elements; memory {}; features {})",
            self.name,
            self.api,
            self.device_type,
            if self.software { ", software" } else { "" },
            if self.driver.is_empty() { "unknown" } else { &self.driver },
            self.max_storage_buffer_binding_size >> 20,
            self.segment_elements,
            self.memory.map_or("unknown".to_string(), |m| format!("{:.1} GiB", m as f64 / f64::from(1u32 << 30))),
            if self.features.is_empty() { "none".to_string() } else { self.features.join(", ") }
        )
    }
}
