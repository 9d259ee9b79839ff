/** @odoo-module **/

// A tour step's run: () => careScreenshot("name") asks the test (loyalty_gesture/tests/screens.py)
// for a screenshot of the page as it is now, and waits until it is taken. The test saves it as
// name.png when CARE_SCREENSHOTS=<dir> is set (tools/screenshots.sh), and answers at once otherwise.
// Let the last click's rendering, transitions and server calls settle.
export async function settle() {
    const deadline = Date.now() + 10000;
    await new Promise((resolve) => setTimeout(resolve, 400));
    while (document.querySelector(".o_loading_indicator") && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
}

export async function careScreenshot(name) {
    await settle();
    console.log(`care_screenshot ${name}`);
    const deadline = Date.now() + 20000;
    while (!window.careScreenshotsTaken?.has(name)) {
        if (Date.now() > deadline) {
            throw new Error(`The screenshot ${name} was not taken`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
}
