/** @odoo-module **/

// A tour step's run: () => careScreenshot("name") asks the test (loyalty_gesture/tests/screens.py)
// for a screenshot of the page as it is now, and waits until it is taken. The test saves it as
// name.png when CARE_SCREENSHOTS=<dir> is set (tools/screenshots.sh), and answers at once otherwise.
export async function careScreenshot(name) {
    // let the last click's rendering and transitions settle
    await new Promise((resolve) => setTimeout(resolve, 400));
    console.log(`care_screenshot ${name}`);
    const deadline = Date.now() + 20000;
    while (!window.careScreenshotsTaken?.has(name)) {
        if (Date.now() > deadline) {
            throw new Error(`The screenshot ${name} was not taken`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
}
