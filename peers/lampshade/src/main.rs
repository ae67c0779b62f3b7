//! Times lampshade 0.13's resident u32 scans (inclusive and exclusive) on the default adapter, for
//! comparison with streamliner's `compare_algorithms` timing test. Not a workspace member.
//! `CARGO_TARGET_DIR=../../target/peers cargo run --release -- 24 26`

fn wait(device: &wgpu::Device) {
    device.poll(wgpu::PollType::wait_indefinitely()).expect("poll");
}

fn main() {
    let logs: Vec<u32> = std::env::args().skip(1).map(|a| a.parse().expect("log2 size")).collect();
    let ctx = pollster::block_on(lampshade::Context::init()).expect("lampshade context");
    eprintln!("adapter: {} ({:?}), subgroups {}..{}", ctx.adapter_info.name, ctx.adapter_info.backend,
        ctx.adapter_info.subgroup_min_size, ctx.adapter_info.subgroup_max_size);
    let mut scanner = lampshade::Scanner::from_context(&ctx);
    for log in if logs.is_empty() { vec![22, 24] } else { logs } {
        let n = 1usize << log;
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let input: Vec<u32> = (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u32
            })
            .collect();
        use wgpu::util::DeviceExt;
        let src = ctx.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: None,
            contents: bytemuck::cast_slice(&input),
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
        });
        let dst = ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: None,
            size: src.size(),
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        for exclusive in [false, true] {
            let mut times = Vec::new();
            let mut failed = None;
            for _ in 0..6 {
                let t = std::time::Instant::now();
                let r = if exclusive {
                    scanner.scan_exclusive_gpu_to_gpu(&src, &dst, n as u32)
                } else {
                    scanner.scan_gpu_to_gpu(&src, &dst, n as u32)
                };
                if let Err(e) = r {
                    failed = Some(e);
                    break;
                }
                wait(&ctx.device);
                times.push(t.elapsed());
            }
            if let Some(e) = failed {
                eprintln!("lampshade 0.13 n=2^{log}: error {e:?}");
                continue;
            }
            times.remove(0); // warm-up
            times.sort();
            // Check the result once.
            let got = if exclusive {
                pollster::block_on(scanner.scan_exclusive(&input))
            } else {
                pollster::block_on(scanner.scan(&input))
            }
            .expect("scan");
            let mut s = 0u32;
            let ok = input.iter().zip(&got).all(|(v, g)| {
                let before = s;
                s = s.wrapping_add(*v);
                *g == if exclusive { before } else { s }
            });
            eprintln!(
                "lampshade 0.13 n=2^{log} {}: median {:.2} ms (min {:.2}) matches={ok}",
                if exclusive { "exclusive" } else { "inclusive" },
                times[2].as_secs_f64() * 1e3,
                times[0].as_secs_f64() * 1e3
            );
        }
    }
}
