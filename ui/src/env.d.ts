// esbuild bundles CSS imported from TypeScript into the stylesheet next to the script.
declare module '*.css';
