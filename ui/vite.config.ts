import { defineConfig } from "vite"
import { svelte } from "@sveltejs/vite-plugin-svelte"

// The desktop shell loads ui/dist (tauri.conf.json "frontendDist").
export default defineConfig({
  plugins: [svelte()],
  clearScreen: false,
  build: { outDir: "dist", emptyOutDir: true, target: "safari15", sourcemap: false },
  test: { environment: "jsdom", include: ["src/**/*.test.ts"] },
})
